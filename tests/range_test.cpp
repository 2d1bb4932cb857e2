// range(): what it visits, stopping early, and callbacks that use the map.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "support/history_recorder.hpp"
#include "support/map_states.hpp"

namespace {

using syncmap_test::make_deleted;
using syncmap_test::make_dirty_only;
using syncmap_test::make_expunged;
using syncmap_test::make_present_in_snapshot;

using map_t = syncmap::sync_map<int, int>;

std::map<int, int> collect(const map_t& m) {
  std::map<int, int> out;
  m.range([&](int k, int v) {
    EXPECT_TRUE(out.emplace(k, v).second) << "key " << k << " visited twice";
    return true;
  });
  return out;
}

TEST(Range, EmptyMapCallsNothing) {
  map_t m;
  int calls = 0;
  m.range([&](int, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(Range, VisitsEveryKeyOnceWithItsValue) {
  map_t m;
  std::map<int, int> expected;
  for (int k = 0; k < 100; ++k) {
    m.store(k, k * 3);
    expected[k] = k * 3;
  }
  EXPECT_EQ(collect(m), expected);
}

TEST(Range, VisitsKeysOfSnapshotAndDirtyAlike) {
  map_t m;
  make_present_in_snapshot(m, 1, 10);
  make_dirty_only(m, 2, 20);
  EXPECT_EQ(collect(m), (std::map<int, int>{{1, 10}, {2, 20}}));
}

TEST(Range, SkipsDeletedAndExpungedKeys) {
  map_t m;
  make_expunged(m, 1, 10, 3);
  make_deleted(m, 2, 20);
  EXPECT_EQ(collect(m), (std::map<int, int>{{3, 10}}));
}

TEST(Range, StopsWhenTheCallbackReturnsFalse) {
  map_t m;
  for (int k = 0; k < 10; ++k) m.store(k, k);
  int calls = 0;
  m.range([&](int, int) { return ++calls < 3; });
  EXPECT_EQ(calls, 3);
}

TEST(Range, VoidCallbackVisitsEverything) {
  map_t m;
  for (int k = 0; k < 10; ++k) m.store(k, k);
  int calls = 0;
  m.range([&](int, int) { ++calls; });
  EXPECT_EQ(calls, 10);
}

TEST(Range, CallbackMayStoreNewKeysIntoTheSameMap) {
  map_t m;
  for (int k = 0; k < 10; ++k) m.store(k, k);
  m.range([&](int k, int v) { m.store(k + 100, v); });
  for (int k = 0; k < 10; ++k) EXPECT_EQ(m.load(k + 100), k);
}

TEST(Range, CallbackMayEraseTheVisitedKey) {
  map_t m;
  for (int k = 0; k < 10; ++k) m.store(k, k);
  int visited = 0;
  m.range([&](int k, int) {
    ++visited;
    EXPECT_TRUE(m.erase(k));
  });
  EXPECT_EQ(visited, 10);
  EXPECT_TRUE(m.empty());
}

TEST(Range, CallbackMayEraseKeysNotYetVisitedWhichAreThenSkipped) {
  map_t m;
  for (int k = 0; k < 10; ++k) m.store(k, k);
  std::set<int> visited;
  m.range([&](int k, int) {
    visited.insert(k);
    for (int j = 0; j < 10; ++j) {
      if (j != k) m.erase(j);
    }
  });
  EXPECT_EQ(visited.size(), 1u);
}

TEST(Range, CallbackMayRangeTheSameMap) {
  map_t m;
  for (int k = 0; k < 5; ++k) m.store(k, k);
  int inner_calls = 0;
  m.range([&](int, int) { m.range([&](int, int) { ++inner_calls; }); });
  EXPECT_EQ(inner_calls, 25);
}

// The iteration goes on over the snapshot taken at the start: keys cleared
// during the call may still be shown (each had its value during the call).
TEST(Range, CallbackMayClearTheSameMap) {
  map_t m;
  for (int k = 0; k < 10; ++k) m.store(k, k);
  std::set<int> visited;
  m.range([&](int k, int v) {
    EXPECT_EQ(k, v);
    EXPECT_TRUE(visited.insert(k).second);
    m.clear();
  });
  EXPECT_GE(visited.size(), 1u);
  EXPECT_TRUE(m.empty());
  m.store(1, 1);
  EXPECT_EQ(collect(m), (std::map<int, int>{{1, 1}}));
}

TEST(Range, CallbackMayCallEveryOtherMethodOfTheSameMap) {
  map_t m;
  for (int k = 0; k < 4; ++k) m.store(k, k);
  m.range([&](int k, int v) {
    EXPECT_EQ(m.load(k), v);
    EXPECT_TRUE(m.contains(k));
    m.load_or_store(k + 10, v);
    m.swap(k + 20, v);
    m.compare_and_swap(k, v, v + 1);
    m.compare_and_delete(k + 10, v);
    m.load_and_delete(k + 20);
    EXPECT_GE(m.size(), 1u);
    EXPECT_FALSE(m.empty());
  });
  for (int k = 0; k < 4; ++k) EXPECT_EQ(m.load(k), k + 1);
}

TEST(Range, ValueReferenceStaysValidWhileTheCallbackOverwritesTheKey) {
  syncmap::sync_map<int, std::string> m;
  m.store(1, std::string(100, 'a'));
  m.range([&](int k, const std::string& v) {
    m.store(k, std::string(100, 'b'));
    m.erase(k);
    EXPECT_EQ(v, std::string(100, 'a'));  // the box is retired, not freed
  });
}

// Concurrent writers: range never shows a key twice, and never shows a key
// that was absent for the whole call. (The writes are checked for
// linearizability too; range() itself is not linearizable.)
TEST(Range, UnderConcurrentWritesNeverRepeatsAKeyNorInventsOne) {
  map_t m;
  constexpr int kStable = 64;
  constexpr int kChurn = 64;
  syncmap_test::basic_history_recorder<int> rec(3);
  for (int k = 0; k < kStable; ++k) {
    m.store(k, k);
    rec.set_initial(k, k);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::vector<std::thread> writers;
  for (unsigned t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        writes.fetch_add(1, std::memory_order_relaxed);
        const int k = kStable + (i * 7 + static_cast<int>(t)) % kChurn;
        if (i % 3 == 0) {
          rec.erase(t, m, k);
        } else {
          rec.store(t, m, k, k);
        }
        if (i % 97 == 0) rec.clear(t, m);
        if (i % 89 == 0) {
          for (int j = 0; j < kStable; ++j) rec.store(t, m, j, j);
        }
      }
    });
  }
  // At least 300 rounds, and until the writers have done real work: on a
  // fast machine the rounds can end before a writer has started.
  for (int round = 0; round < 300 || writes.load() < 3000; ++round) {
    std::set<int> seen;
    m.range([&](int k, int v) {
      EXPECT_TRUE(seen.insert(k).second) << "key " << k << " visited twice";
      EXPECT_EQ(k, v);                 // values are only ever the key itself
      EXPECT_LT(k, kStable + kChurn);  // never a key nobody stored
    });
  }
  stop = true;
  for (auto& w : writers) w.join();
  rec.expect_linearizable();
}

}  // namespace
