// Every Value (and Key) constructed into the map is destroyed exactly once:
// replaced and deleted ones once no reader can see them, the rest by the
// map's destructor, which also frees what is still waiting for reclamation.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <syncmap/detail/reclaim.hpp>

#include "support/counted.hpp"
#include "support/history_recorder.hpp"
#include "support/map_states.hpp"

namespace syncmap_stress {
namespace lincheck {
// The checker sees a counted value as the number it carries.
template <>
struct value_codec<syncmap_test::counted> {
  static syncmap_test::counted make(std::int64_t v) { return syncmap_test::counted(static_cast<long>(v)); }
  static std::int64_t get(const syncmap_test::counted& c) { return c.value(); }
};
// A string value: 1000 characters of padding (a heap allocation that a
// use-after-free would corrupt), then the number.
template <>
struct value_codec<std::string> {
  static std::string make(std::int64_t v) { return std::string(1000, 'x') + std::to_string(v); }
  static std::int64_t get(const std::string& s) {
    EXPECT_EQ(s.substr(0, 1000), std::string(1000, 'x'));
    return std::stoll(s.substr(1000));
  }
};
}  // namespace lincheck
}  // namespace syncmap_stress

namespace {

using syncmap_test::counted;
using syncmap_test::counted_hash;
using syncmap_test::promote;

class ValueLifetime : public ::testing::Test {
 protected:
  void SetUp() override {
    syncmap::detail::reclaim::quiesce();  // nothing of earlier tests pending
    counted::reset();
  }
  void TearDown() override { EXPECT_EQ(counted::bad_destructions.load(), 0); }
};

TEST_F(ValueLifetime, EveryValueIsDestroyedOnceTheMapDies) {
  {
    syncmap::sync_map<int, counted> m;
    for (int round = 0; round < 5; ++round) {
      for (int k = 0; k < 200; ++k) m.store(k, counted(k));
      for (int k = 0; k < 200; k += 3) m.erase(k);
      for (int k = 0; k < 200; k += 5) m.swap(k, counted(k + 1));
      for (int k = 0; k < 200; k += 7) m.load_or_store(k, counted(k));
      promote(m);
    }
  }
  EXPECT_EQ(counted::alive(), 0);
  EXPECT_GT(counted::constructed.load(), 0);
}

TEST_F(ValueLifetime, EveryValueIsDestroyedOnceTheMapDiesAfterConcurrentUse) {
  syncmap_test::basic_history_recorder<counted> rec(4);
  {
    syncmap::sync_map<int, counted> m;
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 4; ++t) {
      threads.emplace_back([&m, &rec, t] {
        for (int i = 0; i < 10000; ++i) {
          const int k = (i * 13 + static_cast<int>(t)) % 64;
          const std::int64_t v = (std::int64_t{t} << 32) | i;  // unique
          switch (i % 6) {
            case 0:
              rec.store(t, m, k, v);
              break;
            case 1:
              rec.erase(t, m, k);
              break;
            case 2:
              rec.swap(t, m, k, v);
              break;
            case 3:
              rec.load_or_store(t, m, k, v);
              break;
            case 4:
              rec.load_and_delete(t, m, k);
              break;
            default:
              rec.load(t, m, k);
              break;
          }
          if (i % 5000 == 0) rec.clear(t, m);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(counted::alive(), 0);
  rec.expect_linearizable();
}

TEST_F(ValueLifetime, ReplacedValueIsDestroyedOnceNoReaderCanSeeIt) {
  syncmap::sync_map<int, counted> m;
  m.store(1, counted(1));
  m.store(1, counted(2));
  syncmap::detail::reclaim::quiesce();
  EXPECT_EQ(counted::alive(), 1);
  EXPECT_EQ(m.load(1)->value(), 2);
}

TEST_F(ValueLifetime, ErasedValueIsDestroyedOnceNoReaderCanSeeIt) {
  syncmap::sync_map<int, counted> m;
  m.store(1, counted(1));
  promote(m);
  m.erase(1);
  syncmap::detail::reclaim::quiesce();
  EXPECT_EQ(counted::alive(), 0);
}

TEST_F(ValueLifetime, ClearedValuesAreDestroyedOnceNoReaderCanSeeThem) {
  syncmap::sync_map<int, counted> m;
  for (int k = 0; k < 10; ++k) m.store(k, counted(k));
  promote(m);
  m.store(100, counted(100));
  m.clear();
  syncmap::detail::reclaim::quiesce();
  EXPECT_EQ(counted::alive(), 0);
}

// Keys are counted too: an entry's memory (which holds its key) is freed
// once the deleted key is expunged and the next promotion drops it.
TEST_F(ValueLifetime, DeletedKeysEntryIsFreedAfterTheNextPromotionCycle) {
  syncmap::sync_map<counted, int, counted_hash> m;
  m.store(counted(1), 1);
  promote(m);
  m.erase(counted(1));
  m.store(counted(2), 2);  // rebuild: key 1's entry is expunged
  syncmap::detail::reclaim::quiesce();
  EXPECT_EQ(counted::alive(), 2) << "the expunged entry still sits in the snapshot";
  promote(m);  // the expunged entry is dropped and retired
  syncmap::detail::reclaim::quiesce();
  EXPECT_EQ(counted::alive(), 1);
}

TEST_F(ValueLifetime, DeletedDirtyOnlyKeysEntryIsFreedAfterTheNextPromotionCycle) {
  syncmap::sync_map<counted, int, counted_hash> m;
  m.store(counted(1), 1);
  m.store(counted(2), 2);
  ASSERT_EQ(m.load_and_delete(counted(1)), 1);
  promote(m);              // the nil entry becomes part of the snapshot
  m.store(counted(3), 3);  // rebuild: expunged
  promote(m);              // dropped and retired
  syncmap::detail::reclaim::quiesce();
  EXPECT_EQ(counted::alive(), 2);
}

TEST_F(ValueLifetime, DestructorFreesValuesRetiredByAThreadThatHasExited) {
  {
    syncmap::sync_map<int, counted> m;
    std::thread([&m] {
      for (int i = 0; i < 50; ++i) m.store(1, counted(i));  // 49 retired boxes
    }).join();
  }
  EXPECT_EQ(counted::alive(), 0);
}

TEST_F(ValueLifetime, DestructorFreesValuesRetiredByAThreadStillRunning) {
  std::mutex mu;
  std::condition_variable cv;
  bool stored = false;
  bool map_gone = false;
  std::thread writer;
  {
    syncmap::sync_map<int, counted> m;
    writer = std::thread([&] {
      for (int i = 0; i < 50; ++i) m.store(1, counted(i));
      std::unique_lock<std::mutex> lock(mu);
      stored = true;
      cv.notify_all();
      cv.wait(lock, [&] { return map_gone; });  // alive, its retire lists full
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stored; });
  }
  EXPECT_EQ(counted::alive(), 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    map_gone = true;
  }
  cv.notify_all();
  writer.join();
}

// A reader inside visit() holds a reference to a value while another thread
// overwrites the key thousands of times (each retiring a box and triggering
// collections): the value it holds must stay intact until it returns.
TEST_F(ValueLifetime, ValueSeenByAReaderStaysAliveUntilTheReaderReturns) {
  syncmap::sync_map<int, counted> m;
  m.store(1, counted(42));
  std::atomic<bool> reading{false};
  std::atomic<bool> overwritten{false};
  std::thread reader([&] {
    m.visit(1, [&](const counted& v) {
      reading = true;
      while (!overwritten.load()) std::this_thread::yield();
      EXPECT_EQ(v.value(), 42);
    });
  });
  while (!reading.load()) std::this_thread::yield();
  ASSERT_EQ(counted::alive(), 1);
  for (int i = 0; i < 5000; ++i) m.store(1, counted(i));
  // Every box retired since the reader entered must still be pending.
  EXPECT_EQ(counted::alive(), 5001) << "a value was freed while a reader could see it";
  overwritten = true;
  reader.join();
  syncmap::detail::reclaim::quiesce();
  EXPECT_EQ(counted::alive(), 1);
}

TEST(StringValues, SurviveOverwritesAndConcurrentReads) {
  syncmap::sync_map<int, std::string> m;
  syncmap_test::basic_history_recorder<std::string> rec(2);
  for (int k = 0; k < 100; ++k) {
    m.store(k, syncmap_stress::lincheck::value_codec<std::string>::make(k));
    rec.set_initial(k, k);
  }
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      for (int k = 0; k < 100; ++k) {
        const auto v = rec.load(1, m, k);
        ASSERT_TRUE(v.has_value());
        ASSERT_EQ(*v % 1000, k);  // a value written for this key
      }
    }
  });
  for (int round = 1; round <= 50; ++round) {
    for (int k = 0; k < 100; ++k) rec.store(0, m, k, round * 1000 + k);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(*m.load(7), syncmap_stress::lincheck::value_codec<std::string>::make(50 * 1000 + 7));
  rec.expect_linearizable();
}

}  // namespace
