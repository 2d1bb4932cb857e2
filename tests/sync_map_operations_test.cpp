// Every operation of sync_map on a key in each state the design gives it:
// absent, present in the snapshot, present only in the dirty map, deleted
// (nil in the snapshot) and expunged. Single-threaded: the semantics.

#include <gtest/gtest.h>

#include <optional>
#include <utility>

#include "support/map_states.hpp"

namespace {

using syncmap_test::make_deleted;
using syncmap_test::make_dirty_only;
using syncmap_test::make_expunged;
using syncmap_test::make_present_in_snapshot;

using map_t = syncmap::sync_map<int, int>;
constexpr int kKey = 7;
constexpr int kFiller = 1000;

// ---- load ----

TEST(Load, AbsentKeyReturnsNullopt) {
  map_t m;
  EXPECT_EQ(m.load(kKey), std::nullopt);
}

TEST(Load, KeyInSnapshotReturnsItsValue) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(Load, KeyOnlyInDirtyReturnsItsValue) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(Load, DeletedKeyReturnsNullopt) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_EQ(m.load(kKey), std::nullopt);
}

TEST(Load, ExpungedKeyReturnsNullopt) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_EQ(m.load(kKey), std::nullopt);
}

// ---- contains ----

TEST(Contains, AbsentKeyIsNotContained) {
  map_t m;
  EXPECT_FALSE(m.contains(kKey));
}

TEST(Contains, KeyInSnapshotIsContained) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_TRUE(m.contains(kKey));
}

TEST(Contains, KeyOnlyInDirtyIsContained) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_TRUE(m.contains(kKey));
}

TEST(Contains, DeletedKeyIsNotContained) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_FALSE(m.contains(kKey));
}

TEST(Contains, ExpungedKeyIsNotContained) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_FALSE(m.contains(kKey));
}

// ---- visit ----

TEST(Visit, PresentKeyCallsTheFunctionWithTheValue) {
  map_t m;
  m.store(kKey, 5);
  int seen = 0;
  EXPECT_TRUE(m.visit(kKey, [&](const int& v) { seen = v; }));
  EXPECT_EQ(seen, 5);
}

TEST(Visit, AbsentKeyDoesNotCallTheFunction) {
  map_t m;
  bool called = false;
  EXPECT_FALSE(m.visit(kKey, [&](const int&) { called = true; }));
  EXPECT_FALSE(called);
}

TEST(Visit, FunctionMayWriteTheSameMap) {
  map_t m;
  m.store(kKey, 5);
  EXPECT_TRUE(m.visit(kKey, [&](const int& v) { m.store(kKey + 1, v + 1); }));
  EXPECT_EQ(m.load(kKey + 1), 6);
}

// ---- store ----

TEST(Store, AbsentKeyGetsTheValue) {
  map_t m;
  m.store(kKey, 1);
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(Store, KeyInSnapshotIsOverwritten) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  m.store(kKey, 2);
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(Store, KeyOnlyInDirtyIsOverwritten) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  m.store(kKey, 2);
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(Store, DeletedKeyIsRevived) {
  map_t m;
  make_deleted(m, kKey, 1);
  m.store(kKey, 2);
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(Store, ExpungedKeyIsRevived) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  m.store(kKey, 2);
  EXPECT_EQ(m.load(kKey), 2);
}

// ---- load_or_store ----

TEST(LoadOrStore, AbsentKeyStoresAndReturnsTheGivenValueNotLoaded) {
  map_t m;
  EXPECT_EQ(m.load_or_store(kKey, 1), std::make_pair(1, false));
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(LoadOrStore, KeyInSnapshotReturnsTheExistingValueLoaded) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_EQ(m.load_or_store(kKey, 2), std::make_pair(1, true));
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(LoadOrStore, KeyOnlyInDirtyReturnsTheExistingValueLoaded) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_EQ(m.load_or_store(kKey, 2), std::make_pair(1, true));
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(LoadOrStore, DeletedKeyStoresTheGivenValue) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_EQ(m.load_or_store(kKey, 2), std::make_pair(2, false));
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(LoadOrStore, ExpungedKeyStoresTheGivenValue) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_EQ(m.load_or_store(kKey, 2), std::make_pair(2, false));
  EXPECT_EQ(m.load(kKey), 2);
}

// ---- load_and_delete ----

TEST(LoadAndDelete, AbsentKeyReturnsNullopt) {
  map_t m;
  EXPECT_EQ(m.load_and_delete(kKey), std::nullopt);
}

TEST(LoadAndDelete, KeyInSnapshotReturnsTheValueAndRemovesIt) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_EQ(m.load_and_delete(kKey), 1);
  EXPECT_FALSE(m.contains(kKey));
}

TEST(LoadAndDelete, KeyOnlyInDirtyReturnsTheValueAndRemovesIt) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_EQ(m.load_and_delete(kKey), 1);
  EXPECT_FALSE(m.contains(kKey));
}

TEST(LoadAndDelete, DeletedKeyReturnsNullopt) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_EQ(m.load_and_delete(kKey), std::nullopt);
}

TEST(LoadAndDelete, ExpungedKeyReturnsNullopt) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_EQ(m.load_and_delete(kKey), std::nullopt);
}

// ---- erase ----

TEST(Erase, AbsentKeyIsANoOpReturningFalse) {
  map_t m;
  m.store(kKey + 1, 1);
  EXPECT_FALSE(m.erase(kKey));
  EXPECT_EQ(m.load(kKey + 1), 1);
}

TEST(Erase, KeyInSnapshotIsRemovedReturningTrue) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_TRUE(m.erase(kKey));
  EXPECT_EQ(m.load(kKey), std::nullopt);
}

TEST(Erase, KeyOnlyInDirtyIsRemovedReturningTrue) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_TRUE(m.erase(kKey));
  EXPECT_EQ(m.load(kKey), std::nullopt);
}

TEST(Erase, DeletedKeyReturnsFalse) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_FALSE(m.erase(kKey));
}

TEST(Erase, ExpungedKeyReturnsFalse) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_FALSE(m.erase(kKey));
}

TEST(Erase, SecondEraseOfTheSameKeyReturnsFalse) {
  map_t m;
  m.store(kKey, 1);
  EXPECT_TRUE(m.erase(kKey));
  EXPECT_FALSE(m.erase(kKey));
}

// ---- swap ----

TEST(Swap, AbsentKeyStoresAndReturnsNullopt) {
  map_t m;
  EXPECT_EQ(m.swap(kKey, 1), std::nullopt);
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(Swap, KeyInSnapshotReturnsThePreviousValue) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_EQ(m.swap(kKey, 2), 1);
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(Swap, KeyOnlyInDirtyReturnsThePreviousValue) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_EQ(m.swap(kKey, 2), 1);
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(Swap, DeletedKeyStoresAndReturnsNullopt) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_EQ(m.swap(kKey, 2), std::nullopt);
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(Swap, ExpungedKeyStoresAndReturnsNullopt) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_EQ(m.swap(kKey, 2), std::nullopt);
  EXPECT_EQ(m.load(kKey), 2);
}

// ---- compare_and_swap ----

TEST(CompareAndSwap, MatchingValueInSnapshotIsReplaced) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_TRUE(m.compare_and_swap(kKey, 1, 2));
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(CompareAndSwap, MatchingValueOnlyInDirtyIsReplaced) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_TRUE(m.compare_and_swap(kKey, 1, 2));
  EXPECT_EQ(m.load(kKey), 2);
}

TEST(CompareAndSwap, DifferentValueIsLeftAndReturnsFalse) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_FALSE(m.compare_and_swap(kKey, 3, 2));
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(CompareAndSwap, AbsentKeyNeverMatches) {
  map_t m;
  EXPECT_FALSE(m.compare_and_swap(kKey, 0, 2));
  EXPECT_FALSE(m.contains(kKey));
}

TEST(CompareAndSwap, AbsentKeyWithAmendedSnapshotNeverMatches) {
  map_t m;
  make_dirty_only(m, kKey + 1, 1);
  EXPECT_FALSE(m.compare_and_swap(kKey, 0, 2));
  EXPECT_FALSE(m.contains(kKey));
}

TEST(CompareAndSwap, DeletedKeyNeverMatches) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_FALSE(m.compare_and_swap(kKey, 1, 2));
  EXPECT_FALSE(m.contains(kKey));
}

TEST(CompareAndSwap, ExpungedKeyNeverMatches) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_FALSE(m.compare_and_swap(kKey, 1, 2));
  EXPECT_FALSE(m.contains(kKey));
}

// ---- compare_and_delete ----

TEST(CompareAndDelete, MatchingValueInSnapshotIsRemoved) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_TRUE(m.compare_and_delete(kKey, 1));
  EXPECT_FALSE(m.contains(kKey));
}

TEST(CompareAndDelete, MatchingValueOnlyInDirtyIsRemoved) {
  map_t m;
  make_dirty_only(m, kKey, 1);
  EXPECT_TRUE(m.compare_and_delete(kKey, 1));
  EXPECT_FALSE(m.contains(kKey));
}

TEST(CompareAndDelete, DifferentValueIsLeftAndReturnsFalse) {
  map_t m;
  make_present_in_snapshot(m, kKey, 1);
  EXPECT_FALSE(m.compare_and_delete(kKey, 2));
  EXPECT_EQ(m.load(kKey), 1);
}

TEST(CompareAndDelete, AbsentKeyNeverMatches) {
  map_t m;
  EXPECT_FALSE(m.compare_and_delete(kKey, 0));
}

TEST(CompareAndDelete, DeletedKeyNeverMatches) {
  map_t m;
  make_deleted(m, kKey, 1);
  EXPECT_FALSE(m.compare_and_delete(kKey, 1));
}

TEST(CompareAndDelete, ExpungedKeyNeverMatches) {
  map_t m;
  make_expunged(m, kKey, 1, kFiller);
  EXPECT_FALSE(m.compare_and_delete(kKey, 1));
}

// compare_and_* require operator== only when they are used.
struct no_equality {
  int v;
};

TEST(CompareAndSwap, ValueWithoutEqualityWorksWithTheOtherOperations) {
  syncmap::sync_map<int, no_equality> m;
  m.store(1, no_equality{5});
  EXPECT_EQ(m.load(1)->v, 5);
  EXPECT_EQ(m.swap(1, no_equality{6})->v, 5);
  EXPECT_TRUE(m.erase(1));
}

// ---- clear ----

TEST(Clear, RemovesKeysOfSnapshotAndDirty) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  make_dirty_only(m, 2, 2);
  m.clear();
  EXPECT_FALSE(m.contains(1));
  EXPECT_FALSE(m.contains(2));
  EXPECT_TRUE(m.empty());
}

TEST(Clear, OnEmptyMapIsANoOp) {
  map_t m;
  m.clear();
  EXPECT_TRUE(m.empty());
}

TEST(Clear, MapIsUsableAfterwards) {
  map_t m;
  make_present_in_snapshot(m, 1, 1);
  m.clear();
  m.store(1, 2);
  m.store(3, 3);
  EXPECT_EQ(m.load(1), 2);
  EXPECT_EQ(m.load(3), 3);
  EXPECT_EQ(m.size(), 2u);
}

TEST(Clear, RemovesExpungedAndDeletedKeysToo) {
  map_t m;
  make_expunged(m, 1, 1, kFiller);
  make_present_in_snapshot(m, 2, 2);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.contains(kFiller));
  m.store(1, 3);
  EXPECT_EQ(m.load(1), 3);
}

// ---- functors ----

struct offset_hash {
  int offset = 0;
  std::size_t operator()(int k) const { return std::hash<int>{}(k + offset); }
};

TEST(Construction, StatefulHashIsCopiedIntoTheMap) {
  syncmap::sync_map<int, int, offset_hash> m(offset_hash{42});
  EXPECT_EQ(m.hash_function().offset, 42);
  for (int i = 0; i < 100; ++i) m.store(i, i);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(m.load(i), i);
}

}  // namespace
