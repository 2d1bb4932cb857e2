// Threads come and go with no registration: short-lived threads, thread
// pools and late thread_local destructors all use maps, and the per-thread
// state is reused instead of growing with the number of threads ever created.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <syncmap/detail/reclaim.hpp>
#include <syncmap/sync_map.hpp>

#include "support/counted.hpp"
#include "support/history_recorder.hpp"

namespace {

namespace reclaim = syncmap::detail::reclaim;
using syncmap_test::counted;

TEST(ThreadLifecycle, ThousandsOfShortLivedThreadsReuseAFewRecords) {
  syncmap::sync_map<int, int> m;
  const std::size_t records_before = reclaim::stats().records;
  for (int i = 0; i < 2000; ++i) {
    std::thread([&m, i] {
      m.store(i % 100, i);
      m.load(i % 50);
      m.erase(i % 7);
    }).join();
  }
  // One at a time: a released record is reused by the next thread.
  EXPECT_LE(reclaim::stats().records, records_before + 1);
}

TEST(ThreadLifecycle, ConcurrentBurstsOfThreadsNeedAtMostTheirPeakInRecords) {
  syncmap::sync_map<int, int> m;
  constexpr unsigned kBurst = 8;
  syncmap_test::basic_history_recorder<int> rec(kBurst);  // slot t: thread t of every burst
  const std::size_t records_before = reclaim::stats().records;
  for (int round = 0; round < 100; ++round) {
    std::vector<std::thread> burst;
    for (unsigned t = 0; t < kBurst; ++t) {
      burst.emplace_back([&m, &rec, t, round] {
        const int k = static_cast<int>(t % 4);  // two threads per key
        rec.store(t, m, k, round * 100 + static_cast<int>(t));
        rec.load(t, m, (k + 1) % 4);
        if (t % 4 == 3) rec.erase(t, m, k);
      });
    }
    for (auto& th : burst) th.join();
  }
  EXPECT_LE(reclaim::stats().records, records_before + kBurst);
  rec.expect_linearizable();
}

TEST(ThreadLifecycle, ExitedThreadReleasesItsRecord) {
  syncmap::sync_map<int, int> m;
  m.store(0, 0);  // this thread has its record
  const std::size_t in_use_before = reclaim::stats().records_in_use;
  std::thread([&m, in_use_before] {
    m.store(1, 1);
    EXPECT_EQ(reclaim::stats().records_in_use, in_use_before + 1);
  }).join();
  EXPECT_EQ(reclaim::stats().records_in_use, in_use_before);
}

TEST(ThreadLifecycle, MemoryRetiredByExitedThreadsIsReclaimed) {
  counted::reset();
  {
    syncmap::sync_map<int, counted> m;
    for (int i = 0; i < 200; ++i) {
      std::thread([&m, i] {
        for (int j = 0; j < 10; ++j) m.store(j, counted(i));  // retires boxes, then exits
      }).join();
    }
    reclaim::quiesce();
    EXPECT_EQ(counted::alive(), 10);  // only the live values
    EXPECT_EQ(reclaim::stats().pending_nodes, 0u);
  }
  EXPECT_EQ(counted::alive(), 0);
}

TEST(ThreadLifecycle, PendingMemoryStaysBoundedUnderContinuousThreadChurn) {
  syncmap::sync_map<int, int> m;
  std::size_t peak_pending = 0;
  for (int i = 0; i < 300; ++i) {
    std::thread([&m] {
      for (int j = 0; j < 1000; ++j) m.store(j % 16, j);  // 1000 retired boxes each
    }).join();
    peak_pending = std::max(peak_pending, reclaim::stats().pending_nodes);
  }
  // 300k boxes were retired; without reclamation between threads they would
  // all be pending. Collections at threshold and at thread exit keep a few
  // thresholds' worth.
  EXPECT_LT(peak_pending, 8u * reclaim::kCollectThreshold);
}

// A map used from a thread_local destructor that runs after syncmap's own
// per-thread exit handler: the thread gets a transient record.
struct uses_map_at_exit {
  syncmap::sync_map<int, int>* map = nullptr;
  ~uses_map_at_exit() {
    if (map != nullptr) {
      map->store(99, 99);
      map->store(99, 100);
    }
  }
};

TEST(ThreadLifecycle, MapIsUsableFromALateThreadLocalDestructor) {
  syncmap::sync_map<int, int> m;
  m.store(0, 0);  // this thread has its record
  const std::size_t in_use_before = reclaim::stats().records_in_use;
  std::thread([&m] {
    static thread_local uses_map_at_exit late;  // constructed before the map's first use...
    late.map = &m;
    m.store(1, 1);  // ...so its destructor runs after syncmap's exit handler
  }).join();
  EXPECT_EQ(m.load(99), 100);
  EXPECT_EQ(reclaim::stats().records_in_use, in_use_before);
}

}  // namespace
