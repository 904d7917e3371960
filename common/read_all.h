// Reading a whole file descriptor with read(2), without iostreams.
#pragma once

#include <cstddef>
#include <limits>
#include <string>

namespace cnb {

// Appends everything up to EOF to `out`, retrying on EINTR. Returns 0, the errno of a failed
// read, or EFBIG once more than `limit` bytes have arrived.
int ReadAll(int fd, std::string* out, size_t limit = std::numeric_limits<size_t>::max());

}  // namespace cnb
