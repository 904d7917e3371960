// Linked into the static executables only. libnl references parts of glibc that we never reach
// through it, and in a static link each reference pulls its whole subsystem into the binary,
// where, thanks to page-cache fault-around, it becomes resident memory on every call:
//  - name resolution (getaddrinfo, getnameinfo, getprotobyname/number), used by libnl's
//    nl_addr_info, nl_addr_resolve and protocol-name helpers: the resolver, NSS and dlopen,
//    none of which works in a static binary without the shared NSS modules anyway;
//  - assert's message formatting, which goes through gettext, iconv and wide-character printf.
// These definitions satisfy the references; the lookups fail cleanly and an assertion still
// reports itself and aborts.
#include <netdb.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

extern "C" {

int getaddrinfo(const char*, const char*, const struct addrinfo*, struct addrinfo** res) {
  if (res != nullptr) *res = nullptr;
  return EAI_FAIL;
}

void freeaddrinfo(struct addrinfo*) noexcept {}

int getnameinfo(const struct sockaddr*, socklen_t, char*, socklen_t, char*, socklen_t, int) { return EAI_FAIL; }

struct protoent* getprotobyname(const char*) { return nullptr; }

struct protoent* getprotobynumber(int) { return nullptr; }

[[noreturn]] void __assert_fail(const char* assertion, const char* file, unsigned int line,
                                const char* function) noexcept {
  const char* parts[] = {"assertion failed: ", assertion, " (", file, ", ", function, ")\n"};
  for (const char* p : parts) {
    if (p != nullptr && ::write(STDERR_FILENO, p, std::strlen(p)) < 0) break;
  }
  (void)line;
  std::abort();
}

}  // extern "C"
