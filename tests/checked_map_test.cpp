// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// checked_map: every pair of overlapping calls (write/write, read/write,
// iterate/write) is reported, and correctly synchronized use never is.
//
// The overlaps are certain, not hoped for: another thread holds a mark open
// through checked_map_test_access (a real write_scope/read_scope on the
// map's state that touches no container memory) or sits blocked inside a
// real emplace, and latches order the rest. The detecting call reports on
// entry, before it touches the container, and the handler installed here
// throws, so no two threads ever touch the container at once: these tests
// run under TSan with no suppressions.

#include <syncmap/checked_map.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace syncmap {
namespace detail {

// The test hook: holds a map's write or read mark open on the calling
// thread without touching the container.
struct checked_map_test_access {
  template <class CM>
  static misuse_state& state(CM& m) {
    return m.state_;
  }
  template <class CM>
  static std::unique_ptr<write_scope> hold_write(CM& m) {
    return std::make_unique<write_scope>(m.state_, check_level::full, "held write");
  }
  template <class CM>
  static std::unique_ptr<read_scope> hold_read(CM& m) {
    return std::make_unique<read_scope>(m.state_, check_level::full, "held read");
  }
  // A sampled map's mark, taken and released as a sampled write does.
  struct sampled_hold {
    explicit sampled_hold(misuse_state& s) : st(s), tid(begin_sampled_write(s, "held write")) {}
    ~sampled_hold() {
      if (tid != 0) abandon_sampled_write(st, tid);
    }
    sampled_hold(const sampled_hold&) = delete;
    sampled_hold& operator=(const sampled_hold&) = delete;
    misuse_state& st;
    std::uint32_t tid;
  };
  template <class CM>
  static std::unique_ptr<sampled_hold> hold_sampled_write(CM& m) {
    return std::make_unique<sampled_hold>(m.state_);
  }
};

}  // namespace detail
}  // namespace syncmap

namespace {

using syncmap::check_mode;
using syncmap::checked_map;
using syncmap::misuse_error;
using syncmap::misuse_kind;
using syncmap::misuse_report;
using access = syncmap::detail::checked_map_test_access;

using umap = std::unordered_map<std::int64_t, std::int64_t>;
using checked_umap = checked_map<umap, check_mode::on>;

// A one-shot latch (std::latch is C++20).
class latch {
 public:
  explicit latch(int count) : count_(count) {}
  void count_down() {
    const std::lock_guard<std::mutex> lock(mu_);
    if (--count_ <= 0) cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return count_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_;
};

// Another thread holds `m`'s write mark (hold_read: read mark; a sampled
// map's: the mark of a sampled write) open while `body(holder_thread_id)`
// runs on this thread.
template <class CM, class Body>
void while_held_by_other_thread(CM& m, bool write, Body body) {
  latch held(1);
  latch release(1);
  std::uint64_t holder = 0;
  std::thread other([&] {
    std::unique_ptr<syncmap::detail::write_scope> w;
    std::unique_ptr<syncmap::detail::read_scope> r;
    std::unique_ptr<access::sampled_hold> s;
    if (write && CM::compiled_mode == check_mode::sampled) {
      s = access::hold_sampled_write(m);
    } else if (write) {
      w = access::hold_write(m);
    } else {
      r = access::hold_read(m);
    }
    holder = syncmap::detail::current_thread_id();
    held.count_down();
    release.wait();
  });
  held.wait();
  body(holder);
  release.count_down();
  other.join();
}

// Runs `call` and returns the report it raised (the test handler throws).
template <class F>
misuse_report report_of(F&& call) {
  try {
    call();
  } catch (const misuse_error& e) {
    return e.report();
  }
  ADD_FAILURE() << "no misuse reported";
  return misuse_report{};
}

std::atomic<int> g_counted{0};
void counting_handler(const misuse_report&) { g_counted.fetch_add(1); }

class CheckedMap : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = syncmap::set_misuse_handler(&syncmap::throwing_misuse_handler);
    syncmap::reset_checked_map_mode();
  }
  void TearDown() override {
    syncmap::set_misuse_handler(previous_);
    syncmap::reset_checked_map_mode();
    syncmap::set_checked_map_sampling_period(64);
  }

 private:
  syncmap::misuse_handler previous_ = nullptr;
};

// ---- write / write ----

TEST_F(CheckedMap, InsertWhileAnotherThreadWritesIsReportedAsConcurrentWrites) {
  checked_umap m(syncmap::map_name("sessions"));
  while_held_by_other_thread(m, true, [&](std::uint64_t writer) {
    const misuse_report r = report_of([&] { m.insert({1, 1}); });
    EXPECT_EQ(r.kind, misuse_kind::concurrent_writes);
    EXPECT_STREQ(r.operation, "insert");
    EXPECT_EQ(r.map, static_cast<const void*>(&m));
    EXPECT_STREQ(r.map_name, "sessions");
    EXPECT_EQ(r.thread, syncmap::detail::current_thread_id());
    EXPECT_EQ(r.other_thread, writer);
    EXPECT_TRUE(r.other_is_write);
  });
  EXPECT_EQ(m.unchecked().size(), 0U) << "the reported call must not have touched the container";
}

TEST_F(CheckedMap, EveryWriteOperationIsReportedWhileAnotherThreadWrites) {
  checked_umap m;
  checked_umap other;
  const std::vector<std::pair<const char*, std::function<void()>>> writes = {
      {"insert", [&] { m.insert(std::make_pair(std::int64_t{1}, std::int64_t{1})); }},
      {"emplace", [&] { m.emplace(2, 2); }},
      {"try_emplace", [&] { m.try_emplace(3, 3); }},
      {"insert_or_assign", [&] { m.insert_or_assign(4, 4); }},
      {"operator[]", [&] { m[5] = 5; }},
      {"erase", [&] { m.erase(6); }},
      {"clear", [&] { m.clear(); }},
      {"reserve", [&] { m.reserve(100); }},
      {"rehash", [&] { m.rehash(100); }},
      {"swap", [&] { m.swap(other); }},
      {"assignment", [&] { m = other; }},
  };
  while_held_by_other_thread(m, true, [&](std::uint64_t writer) {
    for (const auto& w : writes) {
      const misuse_report r = report_of(w.second);
      EXPECT_EQ(r.kind, misuse_kind::concurrent_writes) << w.first;
      EXPECT_STREQ(r.operation, w.first);
      EXPECT_EQ(r.other_thread, writer) << w.first;
    }
  });
  EXPECT_EQ(m.unchecked().size(), 0U);
}

// A real overlap: the other thread is inside emplace, blocked in the value's
// constructor, when this thread writes and reads.
struct blocking_value {
  blocking_value(latch* entered, latch* release) {
    entered->count_down();
    release->wait();
  }
};

TEST_F(CheckedMap, WriteAndReadDuringAnotherThreadsEmplaceAreReported) {
  checked_map<std::unordered_map<int, blocking_value>, check_mode::on> m;
  latch entered(1);
  latch release(1);
  std::thread writer([&] { m.try_emplace(1, &entered, &release); });
  entered.wait();
  const misuse_report w = report_of([&] { m.erase(2); });
  EXPECT_EQ(w.kind, misuse_kind::concurrent_writes);
  const misuse_report r = report_of([&] { static_cast<void>(m.count(1)); });
  EXPECT_EQ(r.kind, misuse_kind::read_and_write);
  release.count_down();
  writer.join();
  EXPECT_EQ(m.size(), 1U);
}

// ---- read / write, both orders ----

TEST_F(CheckedMap, EveryReadOperationIsReportedWhileAnotherThreadWrites) {
  checked_umap m;
  m[7] = 7;
  const checked_umap& c = m;
  const std::vector<std::pair<const char*, std::function<void()>>> reads = {
      {"find", [&] { static_cast<void>(c.find(7)); }},
      {"count", [&] { static_cast<void>(c.count(7)); }},
      {"contains", [&] { static_cast<void>(c.contains(7)); }},
      {"at", [&] { static_cast<void>(c.at(7)); }},
      {"size", [&] { static_cast<void>(c.size()); }},
      {"empty", [&] { static_cast<void>(c.empty()); }},
      {"begin", [&] { static_cast<void>(c.begin()); }},
      {"equal_range", [&] { static_cast<void>(c.equal_range(7)); }},
      {"copy", [&] { checked_umap(c).clear(); }},
  };
  while_held_by_other_thread(m, true, [&](std::uint64_t writer) {
    for (const auto& rd : reads) {
      const misuse_report r = report_of(rd.second);
      EXPECT_EQ(r.kind, misuse_kind::read_and_write) << rd.first;
      EXPECT_STREQ(r.operation, rd.first);
      EXPECT_EQ(r.other_thread, writer) << rd.first;
      EXPECT_TRUE(r.other_is_write) << rd.first;
    }
  });
}

TEST_F(CheckedMap, WriteWhileAnotherThreadReadsIsReportedAsReadAndWrite) {
  checked_umap m;
  while_held_by_other_thread(m, false, [&](std::uint64_t reader) {
    const misuse_report r = report_of([&] { m[1] = 1; });
    EXPECT_EQ(r.kind, misuse_kind::read_and_write);
    EXPECT_STREQ(r.operation, "operator[]");
    EXPECT_EQ(r.other_thread, reader);
    EXPECT_FALSE(r.other_is_write);
  });
  EXPECT_EQ(m.unchecked().size(), 0U);
}

TEST_F(CheckedMap, ConcurrentReadsAreNotReported) {
  checked_umap m;
  m[1] = 1;
  while_held_by_other_thread(m, false, [&](std::uint64_t) {
    EXPECT_EQ(m.count(1), 1U);
    EXPECT_EQ(m.at(1), 1);
    EXPECT_EQ(m.size(), 1U);
  });
}

// ---- iterate / write ----

TEST_F(CheckedMap, IteratorUsedWhileAnotherThreadWritesIsReported) {
  checked_umap m{{1, 1}, {2, 2}};
  auto it = m.begin();
  while_held_by_other_thread(m, true, [&](std::uint64_t writer) {
    const misuse_report r = report_of([&] { ++it; });
    EXPECT_EQ(r.kind, misuse_kind::iteration_and_write);
    EXPECT_STREQ(r.operation, "iterator increment");
    EXPECT_EQ(r.other_thread, writer);
    EXPECT_EQ(report_of([&] { static_cast<void>(*it); }).kind, misuse_kind::iteration_and_write);
  });
}

TEST_F(CheckedMap, IteratorOutlivingAnotherThreadsWriteIsReported) {
  checked_umap m{{1, 1}, {2, 2}};
  auto it = m.begin();
  std::uint64_t writer = 0;
  std::thread other([&] {
    m.insert({3, 3});
    writer = syncmap::detail::current_thread_id();
  });
  other.join();  // ordered: the write is over, the iterator outlived it
  const misuse_report r = report_of([&] { ++it; });
  EXPECT_EQ(r.kind, misuse_kind::iteration_and_write);
  EXPECT_EQ(r.other_thread, writer);
  EXPECT_EQ(report_of([&] { static_cast<void>(it->first); }).kind, misuse_kind::iteration_and_write);
  EXPECT_EQ(report_of([&] { static_cast<void>(it == m.end()); }).kind, misuse_kind::iteration_and_write);
  EXPECT_EQ(report_of([&] { m.erase(it); }).kind, misuse_kind::iteration_and_write);
  // A fresh iterator is fine.
  std::int64_t sum = 0;
  for (const auto& kv : m) sum += kv.second;
  EXPECT_EQ(sum, 6);
}

TEST_F(CheckedMap, RangeForLoopIsReportedWhenAnotherThreadWritesMidway) {
  checked_umap m{{1, 1}, {2, 2}, {3, 3}};
  EXPECT_THROW(
      {
        for (const auto& kv : m) {
          static_cast<void>(kv);
          std::thread([&] { m[kv.first + 100] = 0; }).join();
        }
      },
      misuse_error);
}

TEST_F(CheckedMap, OwnThreadErasingWhileIteratingIsNotReported) {
  checked_map<std::map<int, int>, check_mode::on> ordered{{1, 1}, {2, 2}, {3, 3}, {4, 4}};
  for (auto it = ordered.begin(); it != ordered.end();) {
    if (it->first % 2 == 0) {
      it = ordered.erase(it);
    } else {
      ++it;
    }
  }
  EXPECT_EQ(ordered.size(), 2U);
  checked_umap m{{1, 1}, {2, 2}, {3, 3}, {4, 4}};
  auto keep = m.find(1);
  for (auto it = m.begin(); it != m.end();) {
    if (it->first % 2 == 0) {
      it = m.erase(it);
    } else {
      ++it;
    }
  }
  EXPECT_EQ(keep->second, 1);
  EXPECT_EQ(m.size(), 2U);
}

// ---- correct use ----

template <class CM>
void hammer_under_a_mutex(CM& m, int threads, int ops_per_thread) {
  std::mutex mu;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < ops_per_thread; ++i) {
        const std::int64_t k = (i * 7 + t) % 64;
        const std::lock_guard<std::mutex> lock(mu);
        switch (i % 6) {
          case 0:
            m[k] = i;
            break;
          case 1:
            m.insert_or_assign(k, i);
            break;
          case 2:
            m.erase(k);
            break;
          case 3:
            static_cast<void>(m.count(k));
            break;
          case 4: {
            std::int64_t sum = 0;
            for (const auto& kv : m) sum += kv.second;
            static_cast<void>(sum);
            break;
          }
          default: {
            auto it = m.find(k);
            if (it != m.end()) it->second += 1;
            break;
          }
        }
      }
    });
  }
  for (auto& th : ts) th.join();
}

TEST_F(CheckedMap, LockedUseFromManyThreadsNeverReports) {
  syncmap::set_misuse_handler(&counting_handler);
  g_counted = 0;
  checked_umap on;
  hammer_under_a_mutex(on, 4, 5000);
  checked_map<umap, check_mode::sampled> sampled;
  syncmap::set_checked_map_sampling_period(3);
  hammer_under_a_mutex(sampled, 4, 5000);
  checked_map<absl::flat_hash_map<std::int64_t, std::int64_t>, check_mode::on> absl_map;
  hammer_under_a_mutex(absl_map, 4, 5000);
  EXPECT_EQ(g_counted.load(), 0);
}

// ---- modes ----

TEST_F(CheckedMap, SampledModeReportsAGuaranteedOverlap) {
  checked_map<umap, check_mode::sampled> m;
  syncmap::set_checked_map_sampling_period(16);
  while_held_by_other_thread(m, true, [&](std::uint64_t holder) {
    int reported = 0;
    for (int i = 0; i < 64; ++i) {
      try {
        m.insert({i, i});
      } catch (const misuse_error& e) {
        EXPECT_EQ(e.report().kind, misuse_kind::concurrent_writes);
        EXPECT_EQ(e.report().other_thread, holder);
        ++reported;
      }
    }
    // Every write counts down on the word and finds the mark, sampled or not.
    EXPECT_EQ(reported, 64);
    // Reads peek: they see it too.
    for (int i = 0; i < 64; ++i) {
      EXPECT_EQ(report_of([&] { static_cast<void>(m.count(i)); }).kind, misuse_kind::read_and_write);
    }
  });
}

bool is_marked(std::uint64_t word) { return (word & syncmap::detail::misuse_state::kWriting) != 0; }

// A value that records, when a write constructs it, whether the map was
// marked as being written at that moment.
struct mark_probe {
  explicit mark_probe(const std::atomic<std::uint64_t>* word) {
    if (is_marked(word->load())) ++marked;
  }
  static inline int marked = 0;
};

TEST_F(CheckedMap, SampledModeMarksOneWriteInN) {
  syncmap::set_checked_map_sampling_period(4);
  checked_map<std::unordered_map<int, mark_probe>, check_mode::sampled> m;
  const std::atomic<std::uint64_t>* word = &access::state(m).word;
  mark_probe::marked = 0;
  // A fresh map: its first write is sampled, then every fourth.
  for (int i = 0; i < 400; ++i) m.try_emplace(i, word);
  EXPECT_EQ(mark_probe::marked, 100);
  EXPECT_FALSE(is_marked(word->load()));
}

// The countdown is the map's, not the thread's: one thread alternating
// between two maps samples one write in N of each.
TEST_F(CheckedMap, SampledModeCountsEachMapsWritesNotTheThreads) {
  syncmap::set_checked_map_sampling_period(2);
  checked_map<std::unordered_map<int, mark_probe>, check_mode::sampled> a;
  checked_map<std::unordered_map<int, mark_probe>, check_mode::sampled> b;
  int marked_a = 0;
  int marked_b = 0;
  for (int i = 0; i < 100; ++i) {
    mark_probe::marked = 0;
    a.try_emplace(i, &access::state(a).word);
    marked_a += mark_probe::marked;
    mark_probe::marked = 0;
    b.try_emplace(i, &access::state(b).word);
    marked_b += mark_probe::marked;
  }
  EXPECT_EQ(marked_a, 50);
  EXPECT_EQ(marked_b, 50);
}

// A sampled write whose mark is overwritten while it runs (what a write
// that loaded the countdown just before the mark does when it stores its
// decrement) reports at its exit, after releasing the map.
TEST_F(CheckedMap, SampledWriteWhoseMarkWasOverwrittenReportsAtExit) {
  syncmap::set_checked_map_sampling_period(1);  // every write is sampled
  checked_map<std::unordered_map<int, blocking_value>, check_mode::sampled> m;
  latch entered(1);
  latch release(1);
  std::optional<misuse_report> report;
  std::thread writer([&] {
    try {
      m.try_emplace(1, &entered, &release);
    } catch (const misuse_error& e) {
      report = e.report();
    }
  });
  entered.wait();
  EXPECT_TRUE(is_marked(access::state(m).word.load()));
  access::state(m).word.store(5);
  release.count_down();
  writer.join();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->kind, misuse_kind::concurrent_writes);
  EXPECT_EQ(std::string(report->operation), "try_emplace");
  EXPECT_FALSE(is_marked(access::state(m).word.load()));
  EXPECT_EQ(m.size(), 1U);
}

// A mark that no sampled write holds (what a write that loaded the mark
// leaves when it stores its decrement after the sampled write restored the
// countdown) is cleared by the next call that finds it, without a report:
// the write that brought it back found the mark and reported the overlap.
TEST_F(CheckedMap, StaleSampledMarkIsClearedWithoutAReport) {
  checked_map<umap, check_mode::sampled> m;
  auto& st = access::state(m);
  const std::uint64_t stale = syncmap::detail::sampled_word::mark(4242) - 1;
  st.word.store(stale);
  EXPECT_NO_THROW(static_cast<void>(m.count(1)));  // a read clears it
  EXPECT_FALSE(is_marked(st.word.load()));
  st.word.store(stale);
  EXPECT_NO_THROW(m.insert({1, 1}));  // so does a write
  EXPECT_FALSE(is_marked(st.word.load()));
  EXPECT_NO_THROW(m.insert({2, 2}));
  EXPECT_EQ(m.size(), 2U);
}

// A map whose own calls take a lock: checked_map sees its unlocked use from
// several threads as the misuse it is, while the container itself stays
// race-free (so the test runs under TSan too). Every 64th insert yields
// while it holds the lock, so that other threads run during a write.
class self_locking_map : public std::unordered_map<std::int64_t, std::int64_t> {
  using base = std::unordered_map<std::int64_t, std::int64_t>;

 public:
  std::pair<base::iterator, bool> insert(const base::value_type& v) {
    const std::lock_guard<std::mutex> lock(mu_);
    if (++inserts_ % 64 == 0) std::this_thread::yield();
    return base::insert(v);
  }
  base::size_type erase(const base::key_type& k) {
    const std::lock_guard<std::mutex> lock(mu_);
    return base::erase(k);
  }
  base::size_type count(const base::key_type& k) const {
    const std::lock_guard<std::mutex> lock(mu_);
    return base::count(k);
  }

 private:
  mutable std::mutex mu_;
  std::uint64_t inserts_ = 0;
};

// Real racing writes (the handler counts and returns, so every call goes
// on) decrement the countdown without a lock, lose decrements, lose marks,
// may bring marks back: whatever they leave, once the racing stops the map
// is usable again -- no mark stays behind, and correct use from then on is
// never reported.
TEST_F(CheckedMap, SampledMapRecoversAfterRacingWrites) {
  syncmap::set_misuse_handler(&counting_handler);
  syncmap::set_checked_map_sampling_period(2);
  checked_map<self_locking_map, check_mode::sampled> m;
  g_counted = 0;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (std::int64_t i = 0; i < 20000; ++i) {
        const std::int64_t k = (i * 4 + t) % 256;
        if (i % 3 == 2) {
          m.erase(k);
        } else if (i % 3 == 1) {
          static_cast<void>(m.count(k));
        } else {
          m.insert({k, i});
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_GT(g_counted.load(), 0);  // the racing was seen
  // Quiet now: one thread, correct use.
  g_counted = 0;
  for (std::int64_t i = 0; i < 1000; ++i) {
    m.insert({i, i});
    static_cast<void>(m.count(i));
    m.erase(i);
  }
  EXPECT_EQ(g_counted.load(), 0);
  EXPECT_FALSE(is_marked(access::state(m).word.load()));
}

TEST_F(CheckedMap, RuntimeModeOffSkipsEveryCheck) {
  checked_umap m;
  syncmap::set_checked_map_mode(check_mode::off);
  while_held_by_other_thread(m, true, [&](std::uint64_t) { EXPECT_NO_THROW(m.insert({1, 1})); });
  syncmap::reset_checked_map_mode();
  while_held_by_other_thread(m, true, [&](std::uint64_t) {
    EXPECT_EQ(report_of([&] { m.insert({2, 2}); }).kind, misuse_kind::concurrent_writes);
  });
}

// A map compiled `sampled`, switched off at run time: the write that runs
// its countdown out reads the mode, and from then on none of its writes
// marks the map (so none can be reported by another thread's call). Its
// calls still count down and peek: with no write marking, they find a mark
// only while a write marked before the switch is still running -- a real
// overlap (here the test hook plays that write).
TEST_F(CheckedMap, RuntimeModeOffStopsTheWritesOfASampledMapFromMarkingIt) {
  syncmap::set_checked_map_sampling_period(4);
  syncmap::set_checked_map_mode(check_mode::off);
  checked_map<std::unordered_map<int, blocking_value>, check_mode::sampled> m;
  latch entered(1);
  latch release(1);
  // A fresh map's first write is the sampled one: in mode off the map
  // stays unmarked while it runs.
  std::thread writer([&] { m.try_emplace(1, &entered, &release); });
  entered.wait();
  EXPECT_FALSE(is_marked(access::state(m).word.load()));
  release.count_down();
  writer.join();
  syncmap::reset_checked_map_mode();
  while_held_by_other_thread(m, true, [&](std::uint64_t) {
    EXPECT_EQ(report_of([&] { m.erase(1); }).kind, misuse_kind::concurrent_writes);
    EXPECT_EQ(report_of([&] { static_cast<void>(m.find(1)); }).kind, misuse_kind::read_and_write);
  });
}

// A sampled map's reads peek and never register (Go's read check): even
// with period 1, where every write marks the map, a read inside the
// container leaves the state word as it was.
TEST_F(CheckedMap, SampledReadsPeekAndNeverRegister) {
  syncmap::set_checked_map_sampling_period(1);
  latch entered(1);
  latch release(1);
  std::atomic<bool> block{false};
  struct blocking_hash {
    latch* entered;
    latch* release;
    std::atomic<bool>* block;
    std::size_t operator()(int k) const {
      if (block->load()) {
        entered->count_down();
        release->wait();
      }
      return std::hash<int>()(k);
    }
  };
  checked_map<std::unordered_map<int, int, blocking_hash>, check_mode::sampled> m(
      8, blocking_hash{&entered, &release, &block});
  m.emplace(1, 1);
  const std::uint64_t before = access::state(m).word.load();
  block = true;
  std::thread reader([&] { EXPECT_EQ(m.find(1)->second, 1); });
  entered.wait();
  EXPECT_EQ(access::state(m).word.load(), before);
  release.count_down();
  reader.join();
  block = false;
}

TEST_F(CheckedMap, RuntimeModeOverridesTheCompiledMode) {
  // A map compiled `sampled` in runtime mode `on`: from the write that runs
  // its countdown out (a fresh map's first), every write marks it.
  syncmap::set_checked_map_mode(check_mode::on);
  checked_map<std::unordered_map<int, mark_probe>, check_mode::sampled> m;
  mark_probe::marked = 0;
  for (int i = 0; i < 10; ++i) m.try_emplace(i, &access::state(m).word);
  EXPECT_EQ(mark_probe::marked, 10);
  // A map compiled `on` in runtime mode `sampled`: one call in N per thread
  // (a fresh thread's first) is fully checked.
  int full = 0;
  syncmap::set_checked_map_mode(check_mode::sampled);
  syncmap::set_checked_map_sampling_period(1000);
  std::thread([&] {
    for (int i = 0; i < 1000; ++i) {
      if (syncmap::detail::level_for_call<check_mode::on>() == syncmap::detail::check_level::full) {
        ++full;
      }
    }
  }).join();
  EXPECT_EQ(full, 1);
}

TEST_F(CheckedMap, SampledMapsIteratorsAreTheContainersSize) {
  using sampled_map = checked_map<umap, check_mode::sampled>;
  static_assert(sizeof(sampled_map::iterator) == sizeof(umap::iterator), "no tracking state");
  static_assert(sizeof(sampled_map::const_iterator) == sizeof(umap::const_iterator), "no tracking state");
  sampled_map m{{1, 10}, {2, 20}};
  sampled_map::const_iterator it = m.find(2);  // iterator -> const_iterator
  ASSERT_NE(it, m.end());
  EXPECT_EQ(it->second, 20);
}

TEST_F(CheckedMap, OffModeIsTheBareContainer) {
  using off_map = checked_map<umap, check_mode::off>;
  static_assert(sizeof(off_map) == sizeof(umap), "off adds no state");
  static_assert(std::is_base_of<umap, off_map>::value, "off is the container");
  off_map m{{1, 2}};
  m.set_name("ignored");
  m[3] = 4;
  EXPECT_TRUE(m.contains(3));
  EXPECT_EQ(m.size(), 2U);
  umap& bare = m;
  EXPECT_EQ(bare.at(1), 2);
}

// ---- the handler ----

TEST_F(CheckedMap, ReturningHandlerCountsAndTheCallProceeds) {
  syncmap::set_misuse_handler(&counting_handler);
  g_counted = 0;
  checked_umap m;
  // The other thread holds only the mark, never the container: proceeding is safe here.
  while_held_by_other_thread(m, true, [&](std::uint64_t) { m.insert({1, 1}); });
  EXPECT_EQ(g_counted.load(), 1);
  EXPECT_EQ(m.size(), 1U);
}

TEST_F(CheckedMap, SetMisuseHandlerReturnsThePreviousOne) {
  EXPECT_EQ(syncmap::set_misuse_handler(&counting_handler), &syncmap::throwing_misuse_handler);
  EXPECT_EQ(syncmap::get_misuse_handler(), &counting_handler);
  EXPECT_EQ(syncmap::set_misuse_handler(nullptr), &counting_handler);
  EXPECT_EQ(syncmap::get_misuse_handler(), &syncmap::abort_misuse_handler);
}

TEST_F(CheckedMap, ReportTextNamesKindMapOperationAndThreads) {
  misuse_report r;
  r.kind = misuse_kind::read_and_write;
  r.operation = "find";
  static const int object = 0;
  r.map = &object;
  char address[32];
  std::snprintf(address, sizeof address, "%p", r.map);
  r.map_name = "cache";
  r.thread = 10;
  r.other_thread = 11;
  EXPECT_EQ(syncmap::describe(r),
            std::string("syncmap: concurrent map read and map write (map \"cache\" at ") + address +
                ", operation find on thread 10, conflicting write on thread 11)");
  r.map_name = "";
  r.other_is_write = false;
  r.other_thread = 0;
  EXPECT_EQ(syncmap::describe(r),
            std::string("syncmap: concurrent map read and map write (map at ") + address +
                ", operation find on thread 10, conflicting read on an unknown thread)");
}

TEST_F(CheckedMap, SetNameShowsInReports) {
  checked_umap m;
  m.set_name("routes");
  EXPECT_STREQ(m.name(), "routes");
  while_held_by_other_thread(
      m, true, [&](std::uint64_t) { EXPECT_STREQ(report_of([&] { m.clear(); }).map_name, "routes"); });
}

using CheckedMapDeathTest = CheckedMap;

TEST_F(CheckedMapDeathTest, DefaultHandlerPrintsGoStyleMessageAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  syncmap::set_misuse_handler(nullptr);
  EXPECT_DEATH(
      {
        checked_umap m(syncmap::map_name("sessions"));
        while_held_by_other_thread(m, true, [&](std::uint64_t) { m.insert({1, 1}); });
      },
      "syncmap: concurrent map writes \\(map \"sessions\" at 0x[0-9a-f]+, operation insert on thread [0-9]+, "
      "conflicting write on thread [0-9]+\\)");
}

// ---- exceptions from the container ----

TEST_F(CheckedMap, ContainerExceptionsReleaseTheMark) {
  checked_umap m;
  EXPECT_THROW(static_cast<void>(m.at(42)), std::out_of_range);
  struct throws_on_construct {
    explicit throws_on_construct(int) { throw std::runtime_error("no"); }
  };
  checked_map<std::unordered_map<int, throws_on_construct>, check_mode::on> t;
  EXPECT_THROW(t.try_emplace(1, 1), std::runtime_error);
  std::thread([&] {
    EXPECT_NO_THROW(m.insert({1, 1}));
    EXPECT_NO_THROW(t.clear());
  }).join();
}

// The same in a sampled map, on the sampled writes (period 1: every write
// is), which hold the mark across the container call: the mark is released
// when the container throws.
TEST_F(CheckedMap, SampledMapReleasesTheMarkWhenTheContainerThrows) {
  syncmap::set_checked_map_sampling_period(1);
  struct throws_on_construct {
    explicit throws_on_construct(int) { throw std::runtime_error("no"); }
  };
  checked_map<std::unordered_map<int, throws_on_construct>, check_mode::sampled> t;
  std::thread([&] { EXPECT_THROW(t.try_emplace(1, 1), std::runtime_error); }).join();
  EXPECT_FALSE(is_marked(access::state(t).word.load()));
  std::thread([&] { EXPECT_NO_THROW(t.clear()); }).join();
}

// ---- migration ----

// Code written against std::unordered_map, unchanged.
template <class Map>
std::int64_t word_lengths(Map& lengths, const std::vector<std::string>& words) {
  for (const std::string& w : words) lengths[w] = static_cast<std::int64_t>(w.size());
  lengths.insert({"extra", 5});
  lengths.emplace("more", 4);
  lengths.try_emplace("more", 9);
  lengths.insert_or_assign("most", 4);
  lengths.erase("extra");
  if (lengths.find("missing") != lengths.end()) return -1;
  if (lengths.count("most") != 1) return -1;
  std::int64_t total = 0;
  for (const auto& kv : lengths) total += kv.second;
  for (auto it = lengths.begin(); it != lengths.end(); ++it) total += it->second;
  const typename Map::mapped_type first = lengths.at("more");
  return total + first + static_cast<std::int64_t>(lengths.size());
}

TEST_F(CheckedMap, StdUnorderedMapCodeCompilesUnchangedAgainstCheckedMap) {
  const std::vector<std::string> words = {"a", "bb", "ccc"};
  std::unordered_map<std::string, std::int64_t> bare;
  checked_map<std::unordered_map<std::string, std::int64_t>> checked;
  checked_map<std::unordered_map<std::string, std::int64_t>, check_mode::sampled> sampled;
  checked_map<std::unordered_map<std::string, std::int64_t>, check_mode::off> off;
  checked_map<std::map<std::string, std::int64_t>> ordered;
  const std::int64_t expected = word_lengths(bare, words);
  EXPECT_EQ(word_lengths(checked, words), expected);
  EXPECT_EQ(word_lengths(sampled, words), expected);
  EXPECT_EQ(word_lengths(off, words), expected);
  EXPECT_EQ(word_lengths(ordered, words), expected);
}

// The "before" registry of a std::shared_mutex migration: a map type swap is
// the only change, and readers under a shared lock run concurrently.
template <class Map>
class locked_registry {
 public:
  std::optional<int> get(const std::string& k) const {
    const std::shared_lock<std::shared_mutex> lock(mu_);
    const auto it = m_.find(k);
    if (it == m_.end()) return std::nullopt;
    return it->second;
  }
  bool has(const std::string& k) const {
    const std::shared_lock<std::shared_mutex> lock(mu_);
    return m_.count(k) != 0;
  }
  std::pair<int, bool> get_or_put(const std::string& k, int v) {
    const std::unique_lock<std::shared_mutex> lock(mu_);
    const auto [it, inserted] = m_.try_emplace(k, v);
    return {it->second, !inserted};
  }
  std::optional<int> take(const std::string& k) {
    const std::unique_lock<std::shared_mutex> lock(mu_);
    auto node = m_.extract(k);
    if (node.empty()) return std::nullopt;
    return node.mapped();
  }
  void add(const std::string& k, int delta) {
    const std::unique_lock<std::shared_mutex> lock(mu_);
    m_[k] += delta;
  }
  int sum() const {
    const std::shared_lock<std::shared_mutex> lock(mu_);
    int total = 0;
    for (const auto& kv : m_) total += kv.second;
    return total;
  }

 private:
  mutable std::shared_mutex mu_;
  Map m_;
};

template <class Map>
int exercise_registry() {
  locked_registry<Map> r;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&r, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string k = "k" + std::to_string((i + t) % 16);
        switch (i % 5) {
          case 0:
            r.add(k, 1);
            break;
          case 1:
            static_cast<void>(r.get(k));
            break;
          case 2:
            static_cast<void>(r.has(k));
            break;
          case 3:
            static_cast<void>(r.get_or_put(k, 1));
            break;
          default:
            static_cast<void>(r.sum());
            break;
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  const int total = r.sum();
  int taken = 0;
  for (int i = 0; i < 16; ++i) taken += r.take("k" + std::to_string(i)).value_or(0);
  EXPECT_EQ(taken, total);
  EXPECT_EQ(r.sum(), 0);
  return total;
}

TEST_F(CheckedMap, SharedMutexRegistryMigratesByTypeSwapAndNeverReports) {
  syncmap::set_misuse_handler(&counting_handler);
  g_counted = 0;
  EXPECT_GT((exercise_registry<std::unordered_map<std::string, int>>()), 0);
  EXPECT_GT((exercise_registry<checked_map<std::unordered_map<std::string, int>>>()), 0);
  EXPECT_EQ(g_counted.load(), 0);
}

}  // namespace
