// SPDX-License-Identifier: Apache-2.0
// Linked into the static executables only. libnl references parts of glibc that we never reach
// through it, and in a static link each reference pulls its whole subsystem into the binary,
// where, thanks to page-cache fault-around, it becomes resident memory on every call:
//  - name resolution (getaddrinfo, getnameinfo, getprotobyname/number), used by libnl's
//    nl_addr_info, nl_addr_resolve and protocol-name helpers: the resolver, NSS and dlopen,
//    none of which works in a static binary without the shared NSS modules anyway;
//  - assert's message formatting, which goes through gettext, iconv and wide-character printf;
//  - fscanf and sscanf, which libnl uses only to read /proc/net/psched for traffic-control tick
//    rates and to parse textual addresses in nl_addr_parse (we build addresses from bytes), and
//    which bring scanf with strtof/strtold/strtof128 and soft float;
//  - libstdc++'s verbose terminate handler, whose demangler is only there to name the type of
//    an uncaught exception (PluginMain catches everything).
// These definitions satisfy the references; the lookups fail cleanly, libnl falls back to its
// defaults, and an assertion or a terminate still reports itself and aborts.
#include <netdb.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

void Say(const char* text) {
  if (text != nullptr && ::write(STDERR_FILENO, text, std::strlen(text)) < 0) return;
}

}  // namespace

namespace __gnu_cxx {

[[noreturn]] void __verbose_terminate_handler() {
  Say("terminate called\n");
  std::abort();
}

}  // namespace __gnu_cxx

extern "C" {

int getaddrinfo(const char*, const char*, const struct addrinfo*, struct addrinfo** res) {
  if (res != nullptr) *res = nullptr;
  return EAI_FAIL;
}

void freeaddrinfo(struct addrinfo*) noexcept {}

int getnameinfo(const struct sockaddr*, socklen_t, char*, socklen_t, char*, socklen_t, int) { return EAI_FAIL; }

struct protoent* getprotobyname(const char*) {
  return nullptr;
}

struct protoent* getprotobynumber(int) {
  return nullptr;
}

[[noreturn]] void __assert_fail(const char* assertion, const char* file, unsigned int line,
                                const char* function) noexcept {
  const char* parts[] = {"assertion failed: ", assertion, " (", file, ", ", function, ")\n"};
  for (const char* p : parts) Say(p);
  (void)line;
  std::abort();
}

int __isoc99_fscanf(FILE*, const char*, ...) { return EOF; }

int __isoc99_sscanf(const char*, const char*, ...) noexcept { return EOF; }

}  // extern "C"
