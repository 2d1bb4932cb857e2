// Keys and values of awkward types: empty and 1 MiB strings, move-only
// values, values whose copies are expensive (counted), over-aligned keys and
// values.
//
// Which members a move-only Value allows: store(), visit(), contains(),
// erase(), range(), clear(), size() and empty() (they move the value in or
// show it by reference). load(), load_or_store(), swap() and
// load_and_delete() return a Value by copy and so need a copyable Value;
// compare_and_swap() and compare_and_delete() need `const Value& == const
// Value&`.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <syncmap/sync_map.hpp>

#include "support/map_states.hpp"

namespace {

TEST(AwkwardTypes, EmptyStringIsAKeyAndAValueLikeAnyOther) {
  syncmap::sync_map<std::string, std::string> m;
  m.store("", "");
  EXPECT_EQ(m.load(""), std::string());
  m.store("a", "");
  syncmap_test::promote(m);
  EXPECT_EQ(m.load(""), std::string());
  EXPECT_EQ(m.swap("", "x"), std::string());
  EXPECT_EQ(m.load_and_delete(""), std::string("x"));
  EXPECT_FALSE(m.contains(""));
  EXPECT_TRUE(m.contains("a"));
}

TEST(AwkwardTypes, OneMebibyteKeysAndValuesRoundTripThroughEveryOperation) {
  const std::string big_key(1 << 20, 'k');
  std::string other_key = big_key;
  other_key.back() = 'K';  // differs in the last byte only
  const std::string v1(1 << 20, '1');
  const std::string v2(1 << 20, '2');
  syncmap::sync_map<std::string, std::string> m;
  m.store(big_key, v1);
  EXPECT_FALSE(m.contains(other_key));
  EXPECT_EQ(m.load_or_store(other_key, v2), std::make_pair(v2, false));
  syncmap_test::promote(m);
  EXPECT_EQ(m.load(big_key), v1);
  EXPECT_EQ(m.swap(big_key, v2), v1);
  EXPECT_TRUE(m.compare_and_swap(big_key, v2, v1));
  EXPECT_TRUE(m.compare_and_delete(other_key, v2));
  std::size_t bytes = 0;
  m.range([&bytes](const std::string& k, const std::string& v) { bytes += k.size() + v.size(); });
  EXPECT_EQ(bytes, std::size_t{2} << 20);
  EXPECT_EQ(m.load_and_delete(big_key), v1);
  EXPECT_TRUE(m.empty());
}

TEST(AwkwardTypes, MoveOnlyValuesWorkWithEveryMemberThatNeedsNoCopy) {
  syncmap::sync_map<int, std::unique_ptr<int>> m;
  m.store(1, std::make_unique<int>(10));
  m.store(2, std::make_unique<int>(20));
  syncmap_test::promote(m);
  m.store(3, std::make_unique<int>(30));  // dirty only
  m.store(1, std::make_unique<int>(11));  // overwrite in the snapshot
  int seen = 0;
  EXPECT_TRUE(m.visit(1, [&seen](const std::unique_ptr<int>& p) { seen = *p; }));
  EXPECT_EQ(seen, 11);
  EXPECT_TRUE(m.contains(3));
  EXPECT_TRUE(m.erase(2));
  int sum = 0;
  m.range([&sum](int, const std::unique_ptr<int>& p) { sum += *p; });
  EXPECT_EQ(sum, 41);
  EXPECT_EQ(m.size(), 2u);
  m.clear();
  EXPECT_TRUE(m.empty());
}

// Counts copies; moves are free.
struct expensive {
  static inline int copies = 0;
  std::string payload;
  explicit expensive(std::string p) : payload(std::move(p)) {}
  expensive(const expensive& o) : payload(o.payload) { ++copies; }
  expensive(expensive&&) noexcept = default;
  expensive& operator=(const expensive&) = delete;
  expensive& operator=(expensive&&) = delete;
  ~expensive() = default;
};

TEST(AwkwardTypes, ExpensiveValuesAreCopiedOnlyByTheMembersThatReturnACopy) {
  syncmap::sync_map<int, expensive> m;
  expensive::copies = 0;
  m.store(1, expensive(std::string(4096, 'a')));
  m.store(2, expensive("b"));
  syncmap_test::promote(m);
  m.store(1, expensive("c"));
  EXPECT_TRUE(m.visit(1, [](const expensive& e) { EXPECT_EQ(e.payload, "c"); }));
  EXPECT_TRUE(m.contains(2));
  m.range([](int, const expensive&) {});
  EXPECT_TRUE(m.erase(2));
  EXPECT_EQ(expensive::copies, 0);  // moved in, shown by reference
  EXPECT_EQ(m.load(1)->payload, "c");
  EXPECT_EQ(expensive::copies, 1);  // load returns a copy
}

template <std::size_t Align>
struct alignas(Align) aligned_value {
  std::int64_t v = 0;
  friend bool operator==(const aligned_value& a, const aligned_value& b) { return a.v == b.v; }
};

template <class T>
bool is_aligned(const T& x) {
  return reinterpret_cast<std::uintptr_t>(&x) % alignof(T) == 0;
}

template <std::size_t Align>
void expect_aligned_values() {
  syncmap::sync_map<int, aligned_value<Align>> m;
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 200; ++k) m.store(k, aligned_value<Align>{round * 1000 + k});
    syncmap_test::promote(m);
    for (int k = 0; k < 200; ++k) {
      EXPECT_TRUE(m.visit(k, [&](const aligned_value<Align>& v) {
        EXPECT_TRUE(is_aligned(v)) << "key " << k;
        EXPECT_EQ(v.v, round * 1000 + k);
      }));
    }
    m.range([](int, const aligned_value<Align>& v) { EXPECT_TRUE(is_aligned(v)); });
  }
}

TEST(AwkwardTypes, SixtyFourByteAlignedValuesStayAligned) { expect_aligned_values<64>(); }
TEST(AwkwardTypes, HundredTwentyEightByteAlignedValuesStayAligned) { expect_aligned_values<128>(); }

struct alignas(128) aligned_key {
  std::int64_t k = 0;
  friend bool operator==(const aligned_key& a, const aligned_key& b) { return a.k == b.k; }
};
struct aligned_key_hash {
  std::size_t operator()(const aligned_key& a) const { return std::hash<std::int64_t>{}(a.k); }
};

TEST(AwkwardTypes, OverAlignedKeysStayAligned) {
  syncmap::sync_map<aligned_key, int, aligned_key_hash> m;
  for (int k = 0; k < 200; ++k) m.store(aligned_key{k}, k);
  syncmap_test::promote(m);
  for (int k = 200; k < 300; ++k) m.store(aligned_key{k}, k);
  int visited = 0;
  m.range([&visited](const aligned_key& k, int v) {
    EXPECT_TRUE(is_aligned(k));
    EXPECT_EQ(k.k, v);
    ++visited;
  });
  EXPECT_EQ(visited, 300);
  for (int k = 0; k < 300; ++k) EXPECT_EQ(m.load(aligned_key{k}), k);
}

}  // namespace
