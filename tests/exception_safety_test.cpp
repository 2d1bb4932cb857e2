// Exception safety: when Hash, KeyEqual, a Value copy or move, or the range
// callback throws, the operation has no effect, the exception reaches the
// caller, no lock stays held, and the map keeps working. Allocation failure
// is in allocation_failure_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/map_states.hpp"

namespace {

using syncmap_test::make_dirty_only;
using syncmap_test::make_present_in_snapshot;

struct injected_error : std::runtime_error {
  injected_error() : std::runtime_error("injected") {}
};

// ---- Throwing user types. ----

thread_local bool t_throw_on_copy = false;
thread_local bool t_throw_on_move = false;
thread_local bool t_throw_in_hash = false;
thread_local bool t_throw_in_equal = false;

struct fragile {
  int v = 0;
  explicit fragile(int x) : v(x) {}
  fragile(const fragile& o) : v(o.v) {
    if (t_throw_on_copy) throw injected_error();
  }
  fragile(fragile&& o) noexcept(false) : v(o.v) {
    if (t_throw_on_move) throw injected_error();
  }
  fragile& operator=(const fragile&) = default;
};

struct fragile_hash {
  std::size_t operator()(int k) const {
    if (t_throw_in_hash) throw injected_error();
    return std::hash<int>{}(k);
  }
};
struct fragile_equal {
  bool operator()(int a, int b) const {
    if (t_throw_in_equal) throw injected_error();
    return a == b;
  }
};

using fragile_map = syncmap::sync_map<int, fragile, fragile_hash, fragile_equal>;

// Arms one injection for the scope of an object.
class arm {
 public:
  explicit arm(bool& flag) : flag_(flag) { flag_ = true; }
  ~arm() { flag_ = false; }
  arm(const arm&) = delete;
  arm& operator=(const arm&) = delete;

 private:
  bool& flag_;
};

std::map<int, int> contents(const fragile_map& m) {
  std::map<int, int> out;
  m.range([&](int k, const fragile& v) { out[k] = v.v; });
  return out;
}

// The mutex is free: another thread completes a locked operation.
void expect_mutex_free(fragile_map& m) {
  auto done = std::async(std::launch::async, [&m] {
    m.store(12345, fragile(1));  // a new key always takes the mutex
    return m.erase(12345);
  });
  ASSERT_EQ(done.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "the mutex was left held";
  EXPECT_TRUE(done.get());
}

TEST(ExceptionSafety, ThrowingCopyInLoadPropagates) {
  fragile_map m;
  m.store(1, fragile(1));
  arm a(t_throw_on_copy);
  EXPECT_THROW(m.load(1), injected_error);
}

TEST(ExceptionSafety, ThrowingCopyInSwapLeavesTheOldValue) {
  fragile_map m;
  make_present_in_snapshot(m, 1, fragile(1));
  {
    arm a(t_throw_on_copy);
    EXPECT_THROW(m.swap(1, fragile(2)), injected_error);
  }
  EXPECT_EQ(contents(m), (std::map<int, int>{{1, 1}}));
}

TEST(ExceptionSafety, ThrowingCopyInSwapOnADirtyKeyLeavesTheOldValueAndTheMutexFree) {
  fragile_map m;
  make_dirty_only(m, 1, fragile(1));
  {
    arm a(t_throw_on_copy);
    EXPECT_THROW(m.swap(1, fragile(2)), injected_error);
  }
  EXPECT_EQ(contents(m), (std::map<int, int>{{1, 1}}));
  expect_mutex_free(m);
}

TEST(ExceptionSafety, ThrowingCopyInLoadAndDeleteLeavesTheValue) {
  fragile_map m;
  make_present_in_snapshot(m, 1, fragile(1));
  {
    arm a(t_throw_on_copy);
    EXPECT_THROW(m.load_and_delete(1), injected_error);
  }
  EXPECT_EQ(contents(m), (std::map<int, int>{{1, 1}}));
}

TEST(ExceptionSafety, ThrowingCopyInLoadOrStoreOfANewKeyLeavesItAbsent) {
  fragile_map m;
  make_present_in_snapshot(m, 2, fragile(2));
  {
    arm a(t_throw_on_copy);
    EXPECT_THROW(m.load_or_store(1, fragile(1)), injected_error);
  }
  EXPECT_EQ(contents(m), (std::map<int, int>{{2, 2}}));
  expect_mutex_free(m);
}

TEST(ExceptionSafety, ThrowingMoveInStoreLeavesTheMapUnchanged) {
  fragile_map m;
  make_present_in_snapshot(m, 1, fragile(1));
  {
    fragile v(2);
    arm a(t_throw_on_move);
    EXPECT_THROW(m.store(1, std::move(v)), injected_error);
    EXPECT_THROW(m.store(3, fragile(3)), injected_error);
  }
  EXPECT_EQ(contents(m), (std::map<int, int>{{1, 1}}));
}

TEST(ExceptionSafety, ThrowingHashLeavesTheMapUnchanged) {
  fragile_map m;
  make_present_in_snapshot(m, 1, fragile(1));
  {
    arm a(t_throw_in_hash);
    EXPECT_THROW(m.store(2, fragile(2)), injected_error);
    EXPECT_THROW(m.erase(1), injected_error);
    EXPECT_THROW(m.load(1), injected_error);
  }
  EXPECT_EQ(contents(m), (std::map<int, int>{{1, 1}}));
}

TEST(ExceptionSafety, ThrowingKeyEqualUnderTheMutexLeavesItFree) {
  fragile_map m;
  make_dirty_only(m, 1, fragile(1));
  {
    arm a(t_throw_in_equal);
    EXPECT_THROW(m.load(1), injected_error);  // compares in dirty, under the mutex
    EXPECT_THROW(m.store(1, fragile(5)), injected_error);
  }
  EXPECT_EQ(contents(m), (std::map<int, int>{{1, 1}}));
  expect_mutex_free(m);
}

TEST(ExceptionSafety, ThrowingRangeCallbackPropagatesAndLeavesTheMapUsable) {
  fragile_map m;
  make_dirty_only(m, 1, fragile(1));
  EXPECT_THROW(m.range([](int, const fragile&) -> bool { throw injected_error(); }), injected_error);
  m.store(2, fragile(2));
  EXPECT_EQ(contents(m), (std::map<int, int>{{1, 1}, {2, 2}}));
  expect_mutex_free(m);
}

// Under concurrency: one thread's Hash, KeyEqual, Value copies and moves and
// range callbacks throw (the injections are thread_local, so only it sees
// them) while writer threads own other keys and check every result against
// their own model. Every injected exception reaches the faulty thread, its
// failed operations change nothing, and the writers never stall (a lock left
// held would block their new-key stores, and the futures would time out).
TEST(ExceptionSafety, ThrowingUserCodeOnOneThreadLeavesOtherThreadsWorkingAndTheMapConsistent) {
  fragile_map m;
  constexpr int kWriters = 2;
  constexpr int kRounds = 400;
  std::vector<std::future<std::map<int, int>>> writers;
  for (int w = 1; w <= kWriters; ++w) {
    writers.push_back(std::async(std::launch::async, [&m, w] {
      std::map<int, int> model;
      for (int i = 0; i < kRounds; ++i) {
        const int k = w * 1000 + i % 50;
        if (i % 3 == 2) {
          EXPECT_EQ(m.erase(k), model.erase(k) == 1);
        } else {
          m.store(k, fragile(i));  // new keys take the mutex
          model[k] = i;
        }
        const auto v = m.load(k);
        const auto it = model.find(k);
        EXPECT_EQ(v.has_value(), it != model.end());
        if (v && it != model.end()) {
          EXPECT_EQ(v->v, it->second);
        }
      }
      return model;
    }));
  }
  std::map<int, int> mine;  // the faulty thread's keys 0..9
  for (int k = 0; k < 10; ++k) {
    m.store(k, fragile(k));
    mine[k] = k;
  }
  int thrown = 0;
  for (int i = 0; i < kRounds; ++i) {
    const int k = i % 10;
    try {
      switch (i % 6) {
        case 0: {
          arm a(t_throw_in_hash);
          m.store(100 + k, fragile(i));  // a new key
          break;
        }
        case 1: {
          arm a(t_throw_in_equal);
          m.store(k, fragile(i));
          break;
        }
        case 2: {
          arm a(t_throw_on_copy);
          m.swap(k, fragile(i));
          break;
        }
        case 3: {
          arm a(t_throw_on_copy);
          m.load_and_delete(k);
          break;
        }
        case 4: {
          fragile v(i);
          arm a(t_throw_on_move);
          m.store(k, std::move(v));
          break;
        }
        default: {
          int visits = 0;
          m.range([&visits, i](int, const fragile&) {
            if (++visits == 1 + i % 7) throw injected_error();
          });
          break;
        }
      }
    } catch (const injected_error&) {
      ++thrown;
    }
    const auto v = m.load(k);  // unchanged by the failed operation
    ASSERT_TRUE(v.has_value()) << "round " << i;
    EXPECT_EQ(v->v, mine[k]) << "round " << i;
    EXPECT_FALSE(m.contains(100 + k));
  }
  EXPECT_EQ(thrown, kRounds);
  std::map<int, int> expected = mine;
  for (auto& f : writers) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(120)), std::future_status::ready) << "a writer stalled";
    const auto model = f.get();
    expected.insert(model.begin(), model.end());
  }
  EXPECT_EQ(contents(m), expected);
  expect_mutex_free(m);
}

}  // namespace
