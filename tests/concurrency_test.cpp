// Multithreaded behaviour with real contention (2-8 threads, bounded work):
// the invariants each of Go's use cases and each atomic operation promise.
// Built and run in every preset; the tsan preset adds ThreadSanitizer.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <syncmap/sync_map.hpp>

namespace {

using map_t = syncmap::sync_map<int, std::int64_t>;

// Starts n threads running f(thread_index) as close together as possible.
template <class F>
void run_threads(int n, F f) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      f(t);
    });
  }
  for (auto& th : threads) th.join();
}

TEST(Concurrency, ReadersAlwaysSeeTheValueOfKeysWrittenOnce) {
  map_t m;
  constexpr int kStable = 1000;
  for (int k = 0; k < kStable; ++k) m.store(k, std::int64_t{k} * 2);
  run_threads(4, [&](int t) {
    if (t == 0) {  // a writer adding new keys forces rebuilds and promotions
      for (int k = kStable; k < kStable + 3000; ++k) m.store(k, std::int64_t{k} * 2);
      return;
    }
    for (int round = 0; round < 20; ++round) {
      for (int k = 0; k < kStable; ++k) {
        const auto v = m.load(k);
        ASSERT_TRUE(v.has_value()) << "key " << k;
        ASSERT_EQ(*v, std::int64_t{k} * 2);
      }
    }
  });
  EXPECT_EQ(m.size(), static_cast<std::size_t>(kStable + 3000));
}

TEST(Concurrency, DisjointWritersEachSeeExactlyTheirOwnWrites) {
  map_t m;
  constexpr int kKeysPerThread = 64;
  constexpr int kThreads = 4;
  std::vector<std::map<int, std::int64_t>> models(kThreads);
  run_threads(kThreads, [&](int t) {
    std::mt19937 rng(static_cast<unsigned>(t) + 1);
    auto& model = models[static_cast<std::size_t>(t)];
    for (int i = 0; i < 20000; ++i) {
      const int k = t * kKeysPerThread + static_cast<int>(rng() % kKeysPerThread);
      const std::int64_t v = i;
      const auto it = model.find(k);
      const bool present = it != model.end();
      switch (rng() % 6) {
        case 0:
          m.store(k, v);
          model[k] = v;
          break;
        case 1:
          ASSERT_EQ(m.erase(k), present);
          model.erase(k);
          break;
        case 2: {
          const auto prev = m.swap(k, v);
          ASSERT_EQ(prev.has_value(), present);
          if (present) {
            ASSERT_EQ(*prev, it->second);
          }
          model[k] = v;
          break;
        }
        case 3: {
          const auto [actual, loaded] = m.load_or_store(k, v);
          ASSERT_EQ(loaded, present);
          ASSERT_EQ(actual, present ? it->second : v);
          if (!present) model[k] = v;
          break;
        }
        case 4:
          if (present) {
            ASSERT_TRUE(m.compare_and_swap(k, it->second, v));
            model[k] = v;
          } else {
            ASSERT_FALSE(m.compare_and_swap(k, 0, v));
          }
          break;
        default: {
          const auto got = m.load(k);
          ASSERT_EQ(got.has_value(), present);
          if (present) {
            ASSERT_EQ(*got, it->second);
          }
        }
      }
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    for (int k = t * kKeysPerThread; k < (t + 1) * kKeysPerThread; ++k) {
      const auto it = models[static_cast<std::size_t>(t)].find(k);
      const auto got = m.load(k);
      ASSERT_EQ(got.has_value(), it != models[static_cast<std::size_t>(t)].end());
      if (got) {
        EXPECT_EQ(*got, it->second);
      }
    }
  }
}

TEST(Concurrency, CompareAndSwapCountersLoseNoIncrement) {
  map_t m;
  constexpr int kCounters = 8;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 5000;
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kIncrements; ++i) {
      const int k = (i + t) % kCounters;
      auto cur = m.load_or_store(k, 0).first;
      while (!m.compare_and_swap(k, cur, cur + 1)) cur = *m.load(k);
    }
  });
  std::int64_t sum = 0;
  m.range([&](int, std::int64_t v) { sum += v; });
  EXPECT_EQ(sum, std::int64_t{kThreads} * kIncrements);
}

TEST(Concurrency, LoadOrStoreRacesAgreeOnOneWinnerPerKey) {
  map_t m;
  constexpr int kThreads = 6;
  constexpr int kKeys = 2000;
  std::vector<std::vector<std::int64_t>> actual(kThreads, std::vector<std::int64_t>(kKeys));
  std::vector<std::vector<char>> stored(kThreads, std::vector<char>(kKeys));
  run_threads(kThreads, [&](int t) {
    for (int k = 0; k < kKeys; ++k) {
      const auto [a, loaded] = m.load_or_store(k, t);
      actual[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] = a;
      stored[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] = loaded ? 0 : 1;
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
}

TEST(Concurrency, LoadAndDeleteHandsEachValueToExactlyOneThread) {
  map_t m;
  constexpr int kKeys = 5000;
  constexpr int kThreads = 4;
  for (int k = 0; k < kKeys; ++k) m.store(k, k);
  m.range([](int, std::int64_t) { return false; });       // some keys in the snapshot...
  for (int k = kKeys; k < 2 * kKeys; ++k) m.store(k, k);  // ...others only in dirty
  std::vector<std::vector<int>> taken(kThreads);
  run_threads(kThreads, [&](int t) {
    for (int k = 0; k < 2 * kKeys; ++k) {
      if (const auto v = m.load_and_delete(k)) {
        EXPECT_EQ(*v, k);
        taken[static_cast<std::size_t>(t)].push_back(k);
      }
    }
  });
  std::vector<int> all;
  for (const auto& v : taken) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(2 * kKeys));
  for (int k = 0; k < 2 * kKeys; ++k) ASSERT_EQ(all[static_cast<std::size_t>(k)], k);
  EXPECT_TRUE(m.empty());
}

TEST(Concurrency, SwapsConserveEveryValue) {
  map_t m;
  constexpr int kKeys = 16;
  constexpr int kThreads = 4;
  constexpr int kSwaps = 5000;
  for (int k = 0; k < kKeys; ++k) m.store(k, -1 - k);  // initial tokens: negative
  std::vector<std::vector<std::int64_t>> returned(kThreads);
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kSwaps; ++i) {
      const std::int64_t token = std::int64_t{t} * kSwaps + i;  // unique
      const auto prev = m.swap(i % kKeys, token);
      ASSERT_TRUE(prev.has_value());
      returned[static_cast<std::size_t>(t)].push_back(*prev);
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
}

TEST(Concurrency, CompareAndDeleteSucceedsForExactlyOneRacer) {
  map_t m;
  constexpr int kKeys = 3000;
  constexpr int kThreads = 4;
  for (int k = 0; k < kKeys; ++k) m.store(k, k + 7);
  std::atomic<int> successes{0};
  run_threads(kThreads, [&](int) {
    for (int k = 0; k < kKeys; ++k) {
      if (m.compare_and_delete(k, k + 7)) successes.fetch_add(1);
    }
  });
  EXPECT_EQ(successes.load(), kKeys);
  EXPECT_TRUE(m.empty());
}

// Store/erase churn that cycles entries through value, nil and expunged
// while promotions happen: every value read belongs to its key.
TEST(Concurrency, ChurnThroughAllEntryStatesNeverShowsAForeignValue) {
  map_t m;
  constexpr int kKeys = 128;
  run_threads(6, [&](int t) {
    std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
    for (int i = 0; i < 30000; ++i) {
      const int k = static_cast<int>(rng() % kKeys);
      const std::int64_t v = std::int64_t{k} * 1000000 + i;
      switch (rng() % 8) {
        case 0:
        case 1:
          m.store(k, v);
          break;
        case 2:
          m.erase(k);
          break;
        case 3: {
          const auto [a, loaded] = m.load_or_store(k, v);
          ASSERT_EQ(a / 1000000, k);
          if (!loaded) {
            ASSERT_EQ(a, v);
          }
          break;
        }
        case 4:
          if (auto prev = m.swap(k, v)) {
            ASSERT_EQ(*prev / 1000000, k);
          }
          break;
        case 5:
          if (auto prev = m.load_and_delete(k)) {
            ASSERT_EQ(*prev / 1000000, k);
          }
          break;
        case 6:
          if (i % 1000 == 0) {
            m.clear();
          } else {
            m.range([&](int rk, std::int64_t rv) { ASSERT_EQ(rv / 1000000, rk); });
          }
          break;
        default:
          if (auto got = m.load(k)) {
            ASSERT_EQ(*got / 1000000, k);
          }
      }
    }
  });
  m.range([&](int k, std::int64_t v) { EXPECT_EQ(v / 1000000, k); });
}

}  // namespace
