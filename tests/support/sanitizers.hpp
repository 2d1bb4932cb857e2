// Whether this test binary runs under AddressSanitizer or ThreadSanitizer:
// the tests that do millions of operations or start thousands of threads
// scale their counts down there (the sanitizers cost 5-20x), keeping the
// full counts in the release build.

#ifndef SYNCMAP_TESTS_SUPPORT_SANITIZERS_HPP_
#define SYNCMAP_TESTS_SUPPORT_SANITIZERS_HPP_

namespace syncmap_test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_SANITIZERS_HPP_
