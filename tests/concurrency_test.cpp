// Multithreaded behaviour with real contention (2-8 threads, bounded work):
// the invariants each of Go's use cases and each atomic operation promise.
// Every test records its threads' operations and runs the linearizability
// checker over them too (history_recorder.hpp); the tsan preset adds
// ThreadSanitizer.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <syncmap/sync_map.hpp>

#include "support/history_recorder.hpp"

namespace {

using syncmap_test::history_recorder;
using map_t = history_recorder::map_type;

// Starts n threads running f(thread_index) as close together as possible.
template <class F>
void run_threads(int n, F f) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      f(static_cast<unsigned>(t));
    });
  }
  for (auto& th : threads) th.join();
}

TEST(Concurrency, ReadersAlwaysSeeTheValueOfKeysWrittenOnce) {
  map_t m;
  history_recorder rec(4);
  constexpr int kStable = 500;
  for (int k = 0; k < kStable; ++k) {
    m.store(k, std::int64_t{k} * 2);
    rec.set_initial(k, std::int64_t{k} * 2);
  }
  run_threads(4, [&](unsigned t) {
    if (t == 0) {  // a writer adding new keys forces rebuilds and promotions
      for (int k = kStable; k < kStable + 2000; ++k) rec.store(t, m, k, std::int64_t{k} * 2);
      return;
    }
    for (int round = 0; round < 10; ++round) {
      for (int k = 0; k < kStable; ++k) {
        const auto v = rec.load(t, m, k);
        ASSERT_TRUE(v.has_value()) << "key " << k;
        ASSERT_EQ(*v, std::int64_t{k} * 2);
      }
    }
  });
  EXPECT_EQ(m.size(), static_cast<std::size_t>(kStable + 2000));
  rec.expect_linearizable();
}

TEST(Concurrency, DisjointWritersEachSeeExactlyTheirOwnWrites) {
  map_t m;
  constexpr int kKeysPerThread = 64;
  constexpr unsigned kThreads = 4;
  history_recorder rec(kThreads);
  std::vector<std::map<int, std::int64_t>> models(kThreads);
  run_threads(kThreads, [&](unsigned t) {
    std::mt19937 rng(t + 1);
    auto& model = models[t];
    for (int i = 0; i < 10000; ++i) {
      const int k = static_cast<int>(t) * kKeysPerThread + static_cast<int>(rng() % kKeysPerThread);
      const std::int64_t v = std::int64_t{t} << 32 | i;
      const auto it = model.find(k);
      const bool present = it != model.end();
      const std::int64_t expected = present ? it->second : 0;
      switch (rng() % 6) {
        case 0:
          rec.store(t, m, k, v);
          model[k] = v;
          break;
        case 1:
          ASSERT_EQ(rec.erase(t, m, k), present);
          model.erase(k);
          break;
        case 2: {
          const auto prev = rec.swap(t, m, k, v);
          ASSERT_EQ(prev.has_value(), present);
          ASSERT_EQ(prev.value_or(0), expected);
          model[k] = v;
          break;
        }
        case 3: {
          const auto [actual, loaded] = rec.load_or_store(t, m, k, v);
          ASSERT_EQ(loaded, present);
          ASSERT_EQ(actual, present ? expected : v);
          if (!loaded) model[k] = v;
          break;
        }
        case 4:
          ASSERT_EQ(rec.compare_and_swap(t, m, k, present ? expected : -1, v), present);
          if (present) model[k] = v;
          break;
        default: {
          const auto got = rec.load(t, m, k);
          ASSERT_EQ(got.has_value(), present);
          ASSERT_EQ(got.value_or(0), expected);
        }
      }
    }
  });
  rec.expect_linearizable();
}

TEST(Concurrency, CompareAndSwapCountersLoseNoIncrement) {
  map_t m;
  constexpr int kCounters = 8;
  constexpr unsigned kThreads = 4;
  constexpr int kIncrements = 3000;
  history_recorder rec(kThreads);
  run_threads(kThreads, [&](unsigned t) {
    for (int i = 0; i < kIncrements; ++i) {
      const int k = (i + static_cast<int>(t)) % kCounters;
      auto cur = rec.load_or_store(t, m, k, 0).first;
      while (!rec.compare_and_swap(t, m, k, cur, cur + 1)) cur = *rec.load(t, m, k);
    }
  });
  std::int64_t sum = 0;
  m.range([&](int, std::int64_t v) { sum += v; });
  EXPECT_EQ(sum, std::int64_t{kThreads} * kIncrements);
  rec.expect_linearizable();
}

TEST(Concurrency, LoadOrStoreRacesAgreeOnOneWinnerPerKey) {
  map_t m;
  constexpr unsigned kThreads = 6;
  constexpr int kKeys = 1500;
  history_recorder rec(kThreads);
  std::vector<std::vector<std::int64_t>> actual(kThreads, std::vector<std::int64_t>(kKeys));
  std::vector<std::vector<char>> stored(kThreads, std::vector<char>(kKeys));
  run_threads(kThreads, [&](unsigned t) {
    for (int k = 0; k < kKeys; ++k) {
      const auto [a, loaded] = rec.load_or_store(t, m, k, t);
      actual[t][static_cast<std::size_t>(k)] = a;
      stored[t][static_cast<std::size_t>(k)] = loaded ? 0 : 1;
    }
  });
  for (std::size_t k = 0; k < kKeys; ++k) {
    int winners = 0;
    for (std::size_t t = 0; t < kThreads; ++t) {
      ASSERT_EQ(actual[t][k], actual[0][k]) << "threads disagree on key " << k;
      winners += stored[t][k];
      if (stored[t][k] != 0) {
        ASSERT_EQ(actual[t][k], static_cast<std::int64_t>(t));
      }
    }
    ASSERT_EQ(winners, 1) << "key " << k;
  }
  rec.expect_linearizable();
}

TEST(Concurrency, LoadAndDeleteHandsEachValueToExactlyOneThread) {
  map_t m;
  constexpr int kKeys = 3000;
  constexpr unsigned kThreads = 4;
  history_recorder rec(kThreads);
  for (int k = 0; k < kKeys; ++k) m.store(k, k);
  m.range([](int, std::int64_t) { return false; });       // some keys in the snapshot...
  for (int k = kKeys; k < 2 * kKeys; ++k) m.store(k, k);  // ...others only in dirty
  for (int k = 0; k < 2 * kKeys; ++k) rec.set_initial(k, k);
  std::vector<std::vector<int>> taken(kThreads);
  run_threads(kThreads, [&](unsigned t) {
    for (int k = 0; k < 2 * kKeys; ++k) {
      if (const auto v = rec.load_and_delete(t, m, k)) {
        EXPECT_EQ(*v, k);
        taken[t].push_back(k);
      }
    }
  });
  std::vector<int> all;
  for (const auto& v : taken) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(2 * kKeys));
  for (int k = 0; k < 2 * kKeys; ++k) ASSERT_EQ(all[static_cast<std::size_t>(k)], k);
  EXPECT_TRUE(m.empty());
  rec.expect_linearizable();
}

TEST(Concurrency, SwapsConserveEveryValue) {
  map_t m;
  constexpr int kKeys = 16;
  constexpr unsigned kThreads = 4;
  constexpr int kSwaps = 3000;
  history_recorder rec(kThreads);
  for (int k = 0; k < kKeys; ++k) {
    m.store(k, -1 - k);  // initial tokens: negative
    rec.set_initial(k, -1 - k);
  }
  std::vector<std::vector<std::int64_t>> returned(kThreads);
  run_threads(kThreads, [&](unsigned t) {
    for (int i = 0; i < kSwaps; ++i) {
      const std::int64_t token = std::int64_t{t} * kSwaps + i;  // unique
      const auto prev = rec.swap(t, m, i % kKeys, token);
      ASSERT_TRUE(prev.has_value());
      returned[t].push_back(*prev);
    }
  });
  std::vector<std::int64_t> seen;
  for (const auto& r : returned) seen.insert(seen.end(), r.begin(), r.end());
  m.range([&](int, std::int64_t v) { seen.push_back(v); });
  std::sort(seen.begin(), seen.end());
  std::vector<std::int64_t> expected;
  for (int k = 0; k < kKeys; ++k) expected.push_back(-1 - k);
  for (std::int64_t v = 0; v < std::int64_t{kThreads} * kSwaps; ++v) expected.push_back(v);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected) << "a value was lost or duplicated";
  rec.expect_linearizable();
}

TEST(Concurrency, CompareAndDeleteSucceedsForExactlyOneRacer) {
  map_t m;
  constexpr int kKeys = 2000;
  constexpr unsigned kThreads = 4;
  history_recorder rec(kThreads);
  for (int k = 0; k < kKeys; ++k) {
    m.store(k, k + 7);
    rec.set_initial(k, k + 7);
  }
  std::atomic<int> successes{0};
  run_threads(kThreads, [&](unsigned t) {
    for (int k = 0; k < kKeys; ++k) {
      if (rec.compare_and_delete(t, m, k, k + 7)) successes.fetch_add(1);
    }
  });
  EXPECT_EQ(successes.load(), kKeys);
  EXPECT_TRUE(m.empty());
  rec.expect_linearizable();
}

// Store/erase churn that cycles entries through value, nil and expunged
// while promotions happen: every value read belongs to its key.
TEST(Concurrency, ChurnThroughAllEntryStatesNeverShowsAForeignValue) {
  map_t m;
  constexpr int kKeys = 64;
  constexpr unsigned kThreads = 6;
  history_recorder rec(kThreads);
  run_threads(kThreads, [&](unsigned t) {
    std::mt19937 rng(t * 7919U + 1);
    for (int i = 0; i < 15000; ++i) {
      const int k = static_cast<int>(rng() % kKeys);
      const std::int64_t v = std::int64_t{k} * 1000000 + (std::int64_t{t} << 40) + i;
      auto key_of = [](std::int64_t x) { return (x & ((std::int64_t{1} << 40) - 1)) / 1000000; };
      switch (rng() % 8) {
        case 0:
        case 1:
          rec.store(t, m, k, v);
          break;
        case 2:
          rec.erase(t, m, k);
          break;
        case 3: {
          const auto [a, loaded] = rec.load_or_store(t, m, k, v);
          ASSERT_EQ(key_of(a), k);
          if (!loaded) {
            ASSERT_EQ(a, v);
          }
          break;
        }
        case 4:
          if (auto prev = rec.swap(t, m, k, v)) {
            ASSERT_EQ(key_of(*prev), k);
          }
          break;
        case 5:
          if (auto prev = rec.load_and_delete(t, m, k)) {
            ASSERT_EQ(key_of(*prev), k);
          }
          break;
        case 6:
          if (i % 1000 == 0) {
            rec.clear(t, m);
          } else {
            m.range([&](int rk, std::int64_t rv) { ASSERT_EQ(key_of(rv), rk); });
          }
          break;
        default:
          if (auto got = rec.load(t, m, k)) {
            ASSERT_EQ(key_of(*got), k);
          }
      }
    }
  });
  rec.expect_linearizable();
}

}  // namespace
