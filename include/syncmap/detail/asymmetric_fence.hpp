// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Asymmetric fences: a store-load barrier split into a cheap half for the
// frequent side (readers announcing themselves, writers announcing a presence
// transition) and an expensive half for the rare side (an epoch advance, a
// size() call).
//
// The heavy half is membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): the kernel
// makes every running thread of the process execute a full memory barrier
// before the call returns. So for a light side "store A; light_fence(); load B"
// and a heavy side "store B; heavy_fence(); load A", at least one of the two
// loads sees the other side's store -- the Dekker guarantee -- while the light
// side pays only a compiler barrier. This is the scheme of liburcu's "memb"
// flavour and of folly's asymmetric fences; docs/design.md has the argument.
//
// Where membarrier is unavailable (old kernels, seccomp filters, non-Linux),
// both halves fall back to a sequentially consistent fence, decided once per
// process before any thread record exists.

#ifndef SYNCMAP_DETAIL_ASYMMETRIC_FENCE_HPP_
#define SYNCMAP_DETAIL_ASYMMETRIC_FENCE_HPP_

#include <atomic>

#include "syncmap/detail/config.hpp"

namespace syncmap {
namespace detail {

// True when heavy_fence() is a real process-wide barrier and light_fence() may
// be a compiler barrier. Computed once (thread-safe); never changes afterwards.
bool asymmetric_fences_available() noexcept;

// The heavy half: a process-wide memory barrier (or a full fence in fallback).
void heavy_fence() noexcept;

// A full fence that ThreadSanitizer understands. TSan does not model
// std::atomic_thread_fence (and g++ -Wtsan warns about it), so under TSan the
// fallback uses a sequentially consistent read-modify-write instead, which is
// a full barrier on x86-64, the only architecture the TSan build targets.
inline void full_fence() noexcept {
#if SYNCMAP_TSAN
  static thread_local std::atomic<int> fence_word{0};
  fence_word.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

// The light half. `asymmetric` is the cached asymmetric_fences_available().
inline void light_fence(bool asymmetric) noexcept {
  if (SYNCMAP_LIKELY(asymmetric)) {
    // Only the compiler may not reorder; the CPU is ordered by heavy_fence().
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    full_fence();
  }
}

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_ASYMMETRIC_FENCE_HPP_
