// The entry table (table.hpp): its growth contract, which exception safety
// rests on (inserts after reserve_more() never rehash, and a table built for
// n entries takes n entries without growing), its load bound, and lookups
// by hash and key.

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
  static table_t* make(std::size_t n) { return new table_t(n, core::equal_type(std::equal_to<int>())); }
  static std::size_t hash(int k) { return core::hasher_type(absl::Hash<int>())(k); }
  // An entry for k whose cached hash is `h` (the table trusts the cache).
  entry_t* entry(int k, std::size_t h) {
    entries_.push_back(std::make_unique<entry_t>(h, k, nullptr));
    return entries_.back().get();
  }
  entry_t* entry(int k) { return entry(k, hash(k)); }
  std::vector<std::unique_ptr<entry_t>> entries_;
};

TEST_F(Table, BuiltForNEntriesTakesThemWithoutGrowing) {
  for (std::size_t n : {0u, 1u, 2u, 6u, 7u, 8u, 13u, 14u, 15u, 100u, 1000u, 4095u}) {
    const std::unique_ptr<table_t> t(make(n));
    const std::size_t capacity = t->capacity();
    EXPECT_GE(table_t::insertable_without_growth(capacity), n) << "n = " << n;
    for (std::size_t i = 0; i < n; ++i) t->insert_reserved(entry(static_cast<int>(i)));
    EXPECT_EQ(t->capacity(), capacity) << "n = " << n;
    EXPECT_EQ(t->size(), n);
  }
}

TEST_F(Table, InsertsAfterReserveMoreNeverRehash) {
  const std::unique_ptr<table_t> t(make(0));
  for (int i = 0; i < 5000; ++i) {
    t->reserve_more(1);
    const std::size_t capacity = t->capacity();
    t->insert_reserved(entry(i));
    ASSERT_EQ(t->capacity(), capacity) << "insert #" << i << " rehashed";
  }
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(t->find(i, hash(i)), entries_[static_cast<std::size_t>(i)].get());
}

TEST_F(Table, GrowthAtLeastDoublesTheCapacityAndKeepsTheTableAtLeastAQuarterFull) {
  // Geometric growth (amortized O(1) inserts) without sparse tables: each
  // growth at least doubles the capacity, and after it the table is still
  // more than a quarter full (Range walks the slots; memory pays for them).
  const std::unique_ptr<table_t> t(make(0));
  std::size_t capacity = t->capacity();
  for (int i = 0; i < 100000; ++i) {
    t->reserve_more(1);
    if (t->capacity() != capacity) {
      if (capacity != 0) {
        EXPECT_GE(t->capacity(), 2 * capacity) << "growth at " << i << " entries";
      }
      if (t->capacity() > table_t::kMinCapacity) {
        EXPECT_GT(4 * (t->size() + 1), t->capacity()) << "sparse after growth at " << i << " entries";
      }
      capacity = t->capacity();
    }
    t->insert_reserved(entry(i));
  }
}

TEST_F(Table, NeverFullerThanThreeQuartersSoEveryProbeEnds) {
  const std::unique_ptr<table_t> t(make(0));
  for (int i = 0; i < 20000; ++i) {
    t->reserve_more(1);
    t->insert_reserved(entry(i));
    ASSERT_LE(4 * t->size(), 3 * t->capacity()) << "after " << i + 1 << " inserts";
  }
  EXPECT_EQ(t->find(-1, hash(-1)), nullptr);
}

TEST_F(Table, KeysWithTheSameHashAreToldApartByKeyEqual) {
  const std::unique_ptr<table_t> t(make(3));
  entry_t* a = entry(1, 42);
  entry_t* b = entry(2, 42);
  t->insert_reserved(a);
  t->insert_reserved(b);
  EXPECT_EQ(t->find(1, 42), a);
  EXPECT_EQ(t->find(2, 42), b);
  EXPECT_EQ(t->find(3, 42), nullptr);
}

TEST_F(Table, AKeyIsNotFoundUnderAnotherHash) {
  // The slot's hash is compared before the key: a lookup with the key's
  // own hash finds it, and no other hash does.
  const std::unique_ptr<table_t> t(make(1));
  entry_t* a = entry(7, 5);
  t->insert_reserved(a);
  EXPECT_EQ(t->find(7, 5), a);
  EXPECT_EQ(t->find(7, 6), nullptr);
}

TEST_F(Table, ProbesWrapAroundTheEndOfTheSlotArray) {
  const std::unique_ptr<table_t> t(make(4));
  const std::size_t last = t->capacity() - 1;  // every hash below starts at the last slot
  std::vector<entry_t*> es;
  for (int k = 0; k < 4; ++k) {
    es.push_back(entry(k, last + t->capacity() * static_cast<std::size_t>(k)));
    t->insert_reserved(es.back());
  }
  for (entry_t* e : es) EXPECT_EQ(t->find(e->key(), e->hash()), e);
}

TEST_F(Table, GrowthKeepsEveryEntryFindable) {
  const std::unique_ptr<table_t> t(make(0));
  for (int i = 0; i < 3000; ++i) {
    t->reserve_more(1);
    t->insert_reserved(entry(i, static_cast<std::size_t>(i % 7)));  // long runs of equal hashes
  }
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(t->find(i, static_cast<std::size_t>(i % 7)), entries_[static_cast<std::size_t>(i)].get()) << i;
  }
}

TEST_F(Table, IterationVisitsEveryEntryOnce) {
  const std::unique_ptr<table_t> t(make(0));
  for (int i = 0; i < 1000; ++i) {
    t->reserve_more(1);
    t->insert_reserved(entry(i));
  }
  std::vector<int> seen(1000, 0);
  for (const entry_t* e : *t) ++seen[static_cast<std::size_t>(e->key())];
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], 1) << i;
}

TEST_F(Table, IterationVisitsTheEntriesInInsertionOrderAcrossGrowth) {
  const std::unique_ptr<table_t> t(make(0));
  std::vector<entry_t*> inserted;
  for (int i = 0; i < 1000; ++i) {
    t->reserve_more(1);
    inserted.push_back(entry(i));
    t->insert_reserved(inserted.back());
  }
  const std::vector<entry_t*> seen(t->begin(), t->end());
  EXPECT_EQ(seen, inserted);
}

TEST_F(Table, ClearEmptiesTheTableAndItTakesEntriesAgain) {
  for (int n : {10, 1000}) {  // a small slot array is kept, a large one freed
    const std::unique_ptr<table_t> t(make(0));
    for (int i = 0; i < n; ++i) {
      t->reserve_more(1);
      t->insert_reserved(entry(i));
    }
    t->clear();
    EXPECT_TRUE(t->empty());
    EXPECT_EQ(t->begin(), t->end());
    EXPECT_EQ(t->find(0, hash(0)), nullptr);
    t->reserve_more(1);
    entry_t* e = entry(5);
    t->insert_reserved(e);
    EXPECT_EQ(t->find(5, hash(5)), e);
  }
}

TEST_F(Table, AnEmptyTableFindsNothing) {
  const std::unique_ptr<table_t> t(make(0));
  EXPECT_EQ(t->capacity(), 0U);
  EXPECT_EQ(t->find(0, hash(0)), nullptr);
  EXPECT_EQ(t->begin(), t->end());
}

}  // namespace
