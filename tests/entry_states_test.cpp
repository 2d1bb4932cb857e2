// The design, pinned down: where keys live (snapshot, dirty map), the
// amended flag, promotion after misses, dirty rebuild, and every transition
// of the entry state machine (value -> nil -> expunged -> value).

#include <gtest/gtest.h>

#include <algorithm>

#include "support/map_states.hpp"

namespace {

using syncmap_test::entry_state;
using syncmap_test::make_deleted;
using syncmap_test::make_dirty_only;
using syncmap_test::make_expunged;
using syncmap_test::make_present_in_snapshot;
using syncmap_test::map_test_access;
using syncmap_test::promote;

using map_t = syncmap::sync_map<int, int>;

TEST(Layout, NewMapHasNoSnapshotAndNoDirtyMap) {
  map_t m;
  const auto s = map_test_access::shape(m);
  EXPECT_FALSE(s.has_snapshot);
  EXPECT_FALSE(s.has_dirty);
  EXPECT_FALSE(s.amended);
}

TEST(Layout, NewKeyGoesToTheDirtyMapAndAmendsTheSnapshot) {
  map_t m;
  m.store(1, 1);
  const auto s = map_test_access::shape(m);
  EXPECT_TRUE(s.amended);
  EXPECT_EQ(s.dirty_entries, 1u);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::absent);
  EXPECT_EQ(map_test_access::dirty_state(m, 1), entry_state::value);
}

TEST(Promotion, HappensAfterAsManyMissesAsDirtyEntries) {
  map_t m;
  for (int k = 0; k < 4; ++k) m.store(k, k);  // dirty holds 4 keys
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(m.load(100 + i), std::nullopt);  // a miss each
    EXPECT_TRUE(map_test_access::shape(m).amended) << "promoted after " << i + 1 << " misses";
  }
  EXPECT_EQ(map_test_access::shape(m).misses, 3u);
  EXPECT_EQ(m.load(0), 0);  // the fourth miss (key only in dirty) promotes
  const auto s = map_test_access::shape(m);
  EXPECT_FALSE(s.amended);
  EXPECT_FALSE(s.has_dirty);
  EXPECT_EQ(s.misses, 0u);
  EXPECT_EQ(s.snapshot_entries, 4u);
}

TEST(Promotion, LoadHitInTheSnapshotCountsNoMiss) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  make_dirty_only(m, 2, 2);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(m.load(1), 1);
  EXPECT_EQ(map_test_access::shape(m).misses, 0u);
}

TEST(Promotion, MissOnAnUnamendedSnapshotCountsNoMiss) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  EXPECT_EQ(m.load(2), std::nullopt);
  EXPECT_EQ(map_test_access::shape(m).misses, 0u);
}

TEST(Promotion, RangePromotesTheDirtyMapFirst) {
  map_t m;
  m.store(1, 1);
  m.range([](int, int) {});
  const auto s = map_test_access::shape(m);
  EXPECT_FALSE(s.amended);
  EXPECT_FALSE(s.has_dirty);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::value);
}

TEST(Promotion, CompareAndSwapOnADirtyKeyCountsAMiss) {
  map_t m;
  m.store(1, 1);
  m.store(2, 2);
  EXPECT_TRUE(m.compare_and_swap(1, 1, 5));
  EXPECT_EQ(map_test_access::shape(m).misses, 1u);
}

TEST(Promotion, LoadOrStoreOnADirtyKeyCountsAMiss) {
  map_t m;
  m.store(1, 1);
  m.store(2, 2);
  EXPECT_EQ(m.load_or_store(1, 9), std::make_pair(1, true));
  EXPECT_EQ(map_test_access::shape(m).misses, 1u);
}

// Go issue 40999: store a fresh key and delete an older one, again and again,
// with 100 keys live at a time. Each delete of a dirty-only key counts a
// miss; as in Go (which removes the key from its dirty map) the deleted key
// no longer counts toward the promotion threshold, so promotions keep
// happening, the deleted entries are expunged and freed, and the tables stay
// within a few times the live keys (a cycle is about 3 x 100 operations).
TEST(Promotion, StoreOfFreshKeysAndDeleteOfOldOnesKeepsPromotingSoTheTablesStaySmall) {
  map_t m;
  constexpr int kLive = 100;
  std::size_t largest = 0;
  for (int k = 0; k < 20'000; ++k) {
    m.store(k, k);
    if (k >= kLive) {
      EXPECT_TRUE(m.erase(k - kLive));
    }
    const auto s = map_test_access::shape(m);
    largest = std::max({largest, s.snapshot_entries, s.dirty_entries});
  }
  EXPECT_LE(largest, 5u * kLive);
  EXPECT_EQ(m.size(), static_cast<std::size_t>(kLive));
}

TEST(Rebuild, FirstNewKeyAfterPromotionCopiesLiveEntriesIntoANewDirtyMap) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  m.store(2, 2);
  const auto s = map_test_access::shape(m);
  EXPECT_TRUE(s.has_dirty);
  EXPECT_TRUE(s.amended);
  EXPECT_EQ(s.dirty_entries, 2u);
  EXPECT_TRUE(map_test_access::entry_shared(m, 1));
}

TEST(Rebuild, OverwritingASnapshotKeyDoesNotCreateADirtyMap) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  m.store(1, 2);
  EXPECT_FALSE(map_test_access::shape(m).has_dirty);
  EXPECT_FALSE(map_test_access::shape(m).amended);
}

TEST(EntryState, EraseOfASnapshotKeyLeavesANilEntry) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  EXPECT_TRUE(m.erase(1));
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::nil);
}

TEST(EntryState, EraseOfAKeyInBothTablesLeavesItNilInBoth) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  m.store(2, 2);  // rebuilds dirty with key 1 in it
  EXPECT_TRUE(m.erase(1));
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::nil);
  EXPECT_EQ(map_test_access::dirty_state(m, 1), entry_state::nil);
  EXPECT_TRUE(map_test_access::entry_shared(m, 1));
}

TEST(EntryState, RebuildExpungesNilEntriesAndLeavesThemOutOfDirty) {
  map_t m;
  make_deleted(m, 1, 1);
  m.store(2, 2);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::expunged);
  EXPECT_EQ(map_test_access::dirty_state(m, 1), entry_state::absent);
}

TEST(EntryState, StoreRevivesANilEntryInPlace) {
  map_t m;
  make_deleted(m, 1, 1);
  m.store(1, 2);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::value);
  EXPECT_FALSE(map_test_access::shape(m).amended);
  EXPECT_FALSE(map_test_access::shape(m).has_dirty);
}

TEST(EntryState, StoreUnexpungesAnEntryAndPutsItBackIntoDirty) {
  map_t m;
  make_expunged(m, 1, 1, 2);
  m.store(1, 3);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::value);
  EXPECT_EQ(map_test_access::dirty_state(m, 1), entry_state::value);
  EXPECT_TRUE(map_test_access::entry_shared(m, 1));
}

TEST(EntryState, LoadOrStoreUnexpungesAnEntryAndPutsItBackIntoDirty) {
  map_t m;
  make_expunged(m, 1, 1, 2);
  EXPECT_EQ(m.load_or_store(1, 3), std::make_pair(3, false));
  EXPECT_TRUE(map_test_access::entry_shared(m, 1));
}

TEST(EntryState, FullCycleValueNilExpungedValueKeepsTheValue) {
  map_t m;
  make_present_in_snapshot(m, 1, 10);  // value
  ASSERT_TRUE(m.erase(1));             // nil
  ASSERT_EQ(map_test_access::snapshot_state(m, 1), entry_state::nil);
  m.store(2, 20);  // rebuild: expunged
  ASSERT_EQ(map_test_access::snapshot_state(m, 1), entry_state::expunged);
  m.store(1, 11);  // value again, back in dirty
  ASSERT_EQ(map_test_access::snapshot_state(m, 1), entry_state::value);
  promote(m);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::value);
  EXPECT_EQ(m.load(1), 11);
  EXPECT_EQ(m.load(2), 20);
}

TEST(EntryState, ExpungedEntryIsDroppedAtTheNextPromotion) {
  map_t m;
  make_expunged(m, 1, 1, 2);
  promote(m);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::absent);
  EXPECT_EQ(map_test_access::shape(m).snapshot_entries, 1u);
}

// Tables never shrink (snapshot.hpp): a deleted dirty-only key stays in
// dirty as a nil entry until the rebuild after the next promotion.
TEST(EntryState, LoadAndDeleteOfADirtyOnlyKeyLeavesANilEntryInDirty) {
  map_t m;
  for (int k = 1; k <= 3; ++k) make_dirty_only(m, k, k);  // 3 entries: one miss won't promote
  EXPECT_EQ(m.load_and_delete(1), 1);
  EXPECT_EQ(map_test_access::dirty_state(m, 1), entry_state::nil);
}

TEST(EntryState, CompareAndDeleteOfADirtyOnlyKeyLeavesANilEntryInDirty) {
  map_t m;
  for (int k = 1; k <= 3; ++k) make_dirty_only(m, k, k);
  EXPECT_TRUE(m.compare_and_delete(1, 1));
  EXPECT_EQ(map_test_access::dirty_state(m, 1), entry_state::nil);
}

TEST(EntryState, DeletedDirtyOnlyKeyIsExpungedAfterPromotionAndRebuild) {
  map_t m;
  for (int k = 1; k <= 3; ++k) make_dirty_only(m, k, k);
  EXPECT_TRUE(m.erase(1));
  promote(m);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::nil);
  m.store(4, 4);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::expunged);
  promote(m);
  EXPECT_EQ(map_test_access::snapshot_state(m, 1), entry_state::absent);
}

TEST(EntryState, ClearEmptiesSnapshotAndDirtyButKeepsTheDirtyMap) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  make_dirty_only(m, 2, 2);
  m.clear();
  const auto s = map_test_access::shape(m);
  EXPECT_FALSE(s.has_snapshot);
  EXPECT_FALSE(s.amended);
  EXPECT_EQ(s.dirty_entries, 0u);
  EXPECT_EQ(s.misses, 0u);
}

}  // namespace
