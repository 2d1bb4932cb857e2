// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Compiler and build-mode facts shared by every internal header.

#ifndef SYNCMAP_DETAIL_CONFIG_HPP_
#define SYNCMAP_DETAIL_CONFIG_HPP_

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNCMAP_TSAN 1
#endif
#endif
#if !defined(SYNCMAP_TSAN) && defined(__SANITIZE_THREAD__)
#define SYNCMAP_TSAN 1
#endif
#if !defined(SYNCMAP_TSAN)
#define SYNCMAP_TSAN 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SYNCMAP_LIKELY(x) __builtin_expect(!!(x), 1)
#define SYNCMAP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SYNCMAP_NOINLINE __attribute__((noinline))
// For the lock-free read path only: a load hit is a handful of instructions,
// and at -O2 GCC otherwise keeps it as two out-of-line calls that spill the
// read section to the stack, which more than doubles its cost (measured:
// 7.5 ns against 3.2 ns for a 128-key hit).
#define SYNCMAP_ALWAYS_INLINE inline __attribute__((always_inline))
// For checked_map's forwarding layers, lambdas included (the attribute goes
// after a lambda's parameter list): the container's own call must land in
// the caller's body, where the inliner sees the caller's loop and treats it
// as it would a call on the bare container. Left to the heuristics, a
// lambda may stay a separate function, and the container's code called
// from it then falls under max-inline-insns-auto and stays a call (measured:
// _Hashtable::_M_erase, absl's find).
#define SYNCMAP_INLINE_LAMBDA __attribute__((always_inline))
#else
#define SYNCMAP_LIKELY(x) (x)
#define SYNCMAP_UNLIKELY(x) (x)
#define SYNCMAP_NOINLINE
#define SYNCMAP_ALWAYS_INLINE inline
#define SYNCMAP_INLINE_LAMBDA
#endif

#endif  // SYNCMAP_DETAIL_CONFIG_HPP_
