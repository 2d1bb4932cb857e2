// A value type that counts its constructions and destructions and detects a
// destruction of something never constructed or already destroyed, for the
// "every Value constructed into the map is destroyed exactly once" tests.

#ifndef SYNCMAP_TESTS_SUPPORT_COUNTED_HPP_
#define SYNCMAP_TESTS_SUPPORT_COUNTED_HPP_

#include <atomic>
#include <cstdint>
#include <functional>

namespace syncmap_test {

class counted {
 public:
  static inline std::atomic<long> constructed{0};
  static inline std::atomic<long> destroyed{0};
  static inline std::atomic<long> bad_destructions{0};  // double or wild

  static long alive() { return constructed.load() - destroyed.load(); }
  static void reset() {
    constructed = 0;
    destroyed = 0;
    bad_destructions = 0;
  }

  explicit counted(long v = 0) : value_(v) { constructed.fetch_add(1); }
  counted(const counted& o) : value_(o.value_) { constructed.fetch_add(1); }
  counted(counted&& o) noexcept : value_(o.value_) { constructed.fetch_add(1); }
  counted& operator=(const counted&) = default;
  counted& operator=(counted&&) = default;
  ~counted() {
    if (magic_ != kAlive) bad_destructions.fetch_add(1);
    magic_ = kDead;
    destroyed.fetch_add(1);
  }

  long value() const { return value_; }
  friend bool operator==(const counted& a, const counted& b) { return a.value_ == b.value_; }

 private:
  static constexpr std::uint64_t kAlive = 0xA11FE0A11FE0A11FULL;
  static constexpr std::uint64_t kDead = 0xDEADDEADDEADDEADULL;
  std::uint64_t magic_ = kAlive;
  long value_;
};

struct counted_hash {
  std::size_t operator()(const counted& c) const { return std::hash<long>{}(c.value()); }
};

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_COUNTED_HPP_
