// The entry table's growth contract (snapshot.hpp), which exception safety
// rests on: inserts after reserve_more() never rehash, and a table built for
// n entries takes n entries without growing.

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <vector>

#include <syncmap/sync_map.hpp>

namespace {

using core = syncmap::detail::map_core<int, int, absl::Hash<int>, std::equal_to<int>>;
using table_t = core::table_type;
using entry_t = core::entry_type;

class Table : public ::testing::Test {
 protected:
  table_t make(std::size_t n) {
    return table_t(n, core::hasher_type(absl::Hash<int>()), core::equal_type(std::equal_to<int>()));
  }
  entry_t* entry(int k) {
    entries_.push_back(std::make_unique<entry_t>(core::hasher_type(absl::Hash<int>())(k), k, nullptr));
    return entries_.back().get();
  }
  std::vector<std::unique_ptr<entry_t>> entries_;
};

TEST_F(Table, BuiltForNEntriesTakesThemWithoutGrowing) {
  for (std::size_t n : {0u, 1u, 2u, 6u, 7u, 8u, 13u, 14u, 15u, 100u, 1000u, 4095u}) {
    table_t t = make(n);
    const std::size_t capacity = t.set.capacity();
    for (std::size_t i = 0; i < n; ++i) t.insert_reserved(entry(static_cast<int>(i)));
    EXPECT_EQ(t.set.capacity(), capacity) << "n = " << n;
  }
}

TEST_F(Table, InsertsAfterReserveMoreNeverRehash) {
  table_t t = make(0);
  for (int i = 0; i < 5000; ++i) {
    t.reserve_more(1);
    const std::size_t capacity = t.set.capacity();
    t.insert_reserved(entry(i));
    ASSERT_EQ(t.set.capacity(), capacity) << "insert #" << i << " rehashed";
  }
  for (int i = 0; i < 5000; ++i) ASSERT_NE(t.find(i, core::hasher_type(absl::Hash<int>())(i)), nullptr);
}

TEST_F(Table, GrowthAtLeastDoublesTheCapacityAndKeepsTheTableAtLeastAQuarterFull) {
  // Geometric growth (amortized O(1) inserts) without sparse tables: each
  // growth at least doubles the capacity, and after it the table is still
  // more than a quarter full (Range walks the slots; memory pays for them).
  table_t t = make(0);
  std::size_t capacity = t.set.capacity();
  for (int i = 0; i < 100000; ++i) {
    t.reserve_more(1);
    if (t.set.capacity() != capacity) {
      if (capacity != 0) {
        EXPECT_GE(t.set.capacity(), 2 * capacity) << "growth at " << i << " entries";
      }
      EXPECT_GT(4 * (t.set.size() + 1), t.set.capacity()) << "sparse after growth at " << i << " entries";
      capacity = t.set.capacity();
    }
    t.insert_reserved(entry(i));
  }
}

TEST_F(Table, AbslGrowsNoEarlierThanTheConservativeBound) {
  // insertable_without_growth() must never exceed what absl really accepts.
  for (int cap_log = 1; cap_log <= 14; ++cap_log) {
    absl::flat_hash_set<int> s;
    s.reserve(1);
    while (s.capacity() < (std::size_t{1} << cap_log) - 1) s.reserve(s.capacity() + 1);
    const std::size_t capacity = s.capacity();
    const std::size_t limit = table_t::insertable_without_growth(capacity);
    for (std::size_t i = 0; i < limit; ++i) s.insert(static_cast<int>(i));
    EXPECT_EQ(s.capacity(), capacity) << "absl grew below the bound at capacity " << capacity;
  }
}

}  // namespace
