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
#else
#define SYNCMAP_LIKELY(x) (x)
#define SYNCMAP_UNLIKELY(x) (x)
#define SYNCMAP_NOINLINE
#define SYNCMAP_ALWAYS_INLINE inline
#endif

#endif  // SYNCMAP_DETAIL_CONFIG_HPP_
