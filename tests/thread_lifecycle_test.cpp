// Threads come and go with no registration: short-lived threads, thread
// pools and late thread_local destructors all use maps, and the per-thread
// state is reused instead of growing with the number of threads ever created.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include <syncmap/detail/reclaim.hpp>
#include <syncmap/sync_map.hpp>

#include "support/counted.hpp"
#include "support/history_recorder.hpp"
#include "support/sanitizers.hpp"

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
    peak_pending = std::max(peak_pending, reclaim::stats().pending_bytes);
  }
  // 300k boxes were retired; without reclamation between threads they would
  // all be pending. Collections at threshold and at thread exit keep a few
  // thresholds' worth.
  EXPECT_LT(peak_pending, 8 * reclaim::kCollectBytes);
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

using syncmap_test::kSanitized;

// Thread-per-task: 100,000 short-lived threads over the run (10,000 under
// sanitizers, where a thread costs far more; SYNCMAP_SHORT_LIVED_THREADS=N
// sets the count), two at a time, each storing, reading and erasing a few
// keys. Records stay at the peak of live threads, retired memory at a few
// collection thresholds, and the run does not stall (its time is printed).
TEST(ThreadLifecycle, HundredThousandShortLivedThreadsNeedNoMoreRecordsNorPendingMemory) {
  long threads = kSanitized ? 10'000 : 100'000;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment
  if (const char* e = std::getenv("SYNCMAP_SHORT_LIVED_THREADS")) threads = std::atol(e);
  syncmap::sync_map<int, int> m;
  const std::size_t records_before = reclaim::stats().records;
  std::size_t peak_pending = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < threads; i += 2) {
    auto task = [&m](long n) {
      const int k = static_cast<int>(n % 1000);
      m.store(k, static_cast<int>(n));
      (void)m.load((k + 1) % 1000);
      m.erase((k + 500) % 1000);
    };
    std::thread a(task, i);
    std::thread b(task, i + 1);
    a.join();
    b.join();
    peak_pending = std::max(peak_pending, reclaim::stats().pending_bytes);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto st = reclaim::stats();
  std::cout << threads << " short-lived threads in " << s << " s; records " << records_before << " -> "
            << st.records << "; peak pending bytes " << peak_pending << "\n";
  EXPECT_LE(st.records, records_before + 2);
  EXPECT_LT(peak_pending, 8 * reclaim::kCollectBytes);
  EXPECT_LE(m.size(), 1000u);
}

// Threads that exit in the middle of a workload, after a random number of
// operations (with retired memory still pending), while another thread keeps
// working on the same keys: nothing they did is lost or reordered (the
// linearizability checker), their records are released, and the memory they
// retired is freed.
TEST(ThreadLifecycle, ThreadsExitingMidWorkloadLoseNothing) {
  syncmap::sync_map<int, std::int64_t> m;
  constexpr unsigned kSlots = 3;  // slot 0: one long-lived thread; 1, 2: chains of short-lived ones
  syncmap_test::history_recorder rec(kSlots);
  const std::size_t in_use_before = reclaim::stats().records_in_use;
  std::atomic<bool> stop{false};
  auto work = [&m, &rec](unsigned slot, std::mt19937& rng, int ops) {
    for (int i = 0; i < ops; ++i) {
      const int k = static_cast<int>(rng() % 8);
      const std::int64_t v =
          static_cast<std::int64_t>(slot) * 1'000'000 + static_cast<std::int64_t>(rng() % 1000);
      switch (rng() % 5) {
        case 0:
          rec.store(slot, m, k, v);
          break;
        case 1:
          rec.load(slot, m, k);
          break;
        case 2:
          rec.erase(slot, m, k);
          break;
        case 3:
          rec.swap(slot, m, k, v);
          break;
        default:
          rec.load_or_store(slot, m, k, v);
          break;
      }
    }
  };
  std::thread steady([&] {
    std::mt19937 rng(7);
    while (!stop.load()) work(0, rng, 10);
  });
  const int chains = kSanitized ? 100 : 400;
  std::thread chain_threads[2];
  for (unsigned c = 0; c < 2; ++c) {
    chain_threads[c] = std::thread([&, c] {
      std::mt19937 rng(100 + c);
      for (int i = 0; i < chains; ++i) {
        const int ops = 1 + static_cast<int>(rng() % 50);
        const auto seed = static_cast<unsigned>(rng());
        std::thread([&work, c, ops, seed] {
          std::mt19937 r(seed);
          work(1 + c, r, ops);  // then exits, whatever it retired still pending
        }).join();
      }
    });
  }
  for (auto& t : chain_threads) t.join();
  stop = true;
  steady.join();
  rec.expect_linearizable();
  EXPECT_EQ(reclaim::stats().records_in_use, in_use_before);
  reclaim::quiesce();
  EXPECT_EQ(reclaim::stats().pending_nodes, 0u);
}

}  // namespace
