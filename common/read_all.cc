#include "common/read_all.h"

#include <unistd.h>

#include <cerrno>

namespace cnb {

int ReadAll(int fd, std::string* out, size_t limit) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return 0;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > limit) return EFBIG;
  }
}

}  // namespace cnb
