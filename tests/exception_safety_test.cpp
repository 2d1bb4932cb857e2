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

}  // namespace
