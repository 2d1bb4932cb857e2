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
#else
#define SYNCMAP_LIKELY(x) (x)
#define SYNCMAP_UNLIKELY(x) (x)
#define SYNCMAP_NOINLINE
#endif

#endif  // SYNCMAP_DETAIL_CONFIG_HPP_
