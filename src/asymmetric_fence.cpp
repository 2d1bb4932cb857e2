// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).

#include "syncmap/detail/asymmetric_fence.hpp"

#include <atomic>
#include <cstdlib>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace syncmap {
namespace detail {
namespace {

#if defined(__linux__)
long membarrier(int cmd) noexcept { return ::syscall(__NR_membarrier, cmd, 0, 0); }
#endif

// Decides once whether the expedited private membarrier is usable: the
// kernel must support it (4.14+) and the process must register for it.
// SYNCMAP_FORCE_SYMMETRIC_FENCES=1 in the environment forces the fallback,
// so the tests can exercise both protocols on one machine.
bool decide() noexcept {
#if defined(__linux__)
  // Read once, at the first thread registration; a program that changes its
  // environment concurrently with its first map operation is on its own.
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* force = ::getenv("SYNCMAP_FORCE_SYMMETRIC_FENCES")) {
    if (force[0] == '1') return false;
  }
  const long supported = membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#else
  return false;
#endif
}

}  // namespace

bool asymmetric_fences_available() noexcept {
  // A function-local static: initialized exactly once, thread-safely.
  static const bool available = decide();
  return available;
}

void heavy_fence() noexcept {
#if defined(__linux__)
  if (asymmetric_fences_available()) {
    // Cannot fail once registration succeeded (EINVAL/EPERM are only
    // returned for unsupported or unregistered commands).
    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    return;
  }
#endif
  full_fence();
}

}  // namespace detail
}  // namespace syncmap
