// Allocation failure: fail the 1st, 2nd, ... allocation of an operation
// until it succeeds; after each failure the map holds exactly what it held
// before, keeps working, and nothing leaks (the asan preset checks leaks).
//
// Replaces the global operator new, so it is not built in the tsan preset
// (TSan's runtime defines operator new itself, and the test is
// single-threaded: TSan would add nothing).

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <new>
#include <thread>

#include "support/map_states.hpp"

// ---- An operator new that can be told to fail the Nth allocation of the
// calling thread (other threads are never affected). ----

namespace {
thread_local long t_allocations_until_failure = -1;  // -1: never fail

void* checked_malloc(std::size_t n) {
  if (t_allocations_until_failure >= 0 && t_allocations_until_failure-- == 0) throw std::bad_alloc();
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* checked_aligned(std::size_t n, std::align_val_t a) {
  if (t_allocations_until_failure >= 0 && t_allocations_until_failure-- == 0) throw std::bad_alloc();
  const auto al = static_cast<std::size_t>(a);
  void* p = std::aligned_alloc(al, (n + al - 1) / al * al);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return checked_malloc(n); }
void* operator new[](std::size_t n) { return checked_malloc(n); }
void* operator new(std::size_t n, std::align_val_t a) { return checked_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return checked_aligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using syncmap_test::map_test_access;

using int_map = syncmap::sync_map<int, int>;

std::map<int, int> contents(const int_map& m) {
  std::map<int, int> out;
  m.range([&](int k, int v) { out[k] = v; });
  return out;
}

// Builds a map whose snapshot holds 0..9 (1 and 2 deleted), so that a new
// key triggers the dirty rebuild with its expunging.
void fill(int_map& m) {
  for (int k = 0; k < 10; ++k) m.store(k, k);
  syncmap_test::promote(m);
  m.erase(1);
  m.erase(2);
}

// Runs `op` on a map prepared by fill() and then `prepare`, failing its
// first, second, ... allocation until it succeeds. Returns the number of
// allocations op makes.
template <class Op, class Prepare>
int sweep_allocation_failures(Op op, Prepare prepare) {
  for (int n = 0;; ++n) {
    int_map m;
    fill(m);
    prepare(m);
    const auto before = contents(m);
    t_allocations_until_failure = n;
    try {
      op(m);
      t_allocations_until_failure = -1;
      return n;  // op needed n allocations and succeeded with the (n+1)th unfailed
    } catch (const std::bad_alloc&) {
      t_allocations_until_failure = -1;
    }
    EXPECT_EQ(contents(m), before) << "after failing allocation #" << n;
    m.store(100, 100);  // still works
    EXPECT_EQ(m.load(100), 100);
    if (n > 64) {
      ADD_FAILURE() << "operation never succeeded";
      return n;
    }
  }
}

template <class Op>
int sweep_allocation_failures(Op op) {
  return sweep_allocation_failures(op, [](int_map&) {});
}

TEST(AllocationFailure, StoreOfANewKeyHasNoEffectWhenAnyAllocationFails) {
  const int needed = sweep_allocation_failures([](int_map& m) { m.store(50, 50); });
  EXPECT_GE(needed, 3);  // box, entry, dirty map (and its slots)
}

TEST(AllocationFailure, LoadOrStoreOfANewKeyHasNoEffectWhenAnyAllocationFails) {
  const int needed = sweep_allocation_failures([](int_map& m) { m.load_or_store(50, 50); });
  EXPECT_GE(needed, 3);
}

TEST(AllocationFailure, SwapOfAnExpungedKeyHasNoEffectWhenAnyAllocationFails) {
  const int needed = sweep_allocation_failures(
      [](int_map& m) { m.swap(1, 11); },     // un-expunges key 1: inserts it into dirty
      [](int_map& m) { m.store(50, 50); });  // rebuilds dirty: keys 1 and 2 expunged
  EXPECT_GE(needed, 1);
}

TEST(AllocationFailure, UnexpungeThatMustGrowTheDirtyMapHasNoEffectWhenAnyAllocationFails) {
  const int needed = sweep_allocation_failures([](int_map& m) { m.store(1, 11); },
                                               [](int_map& m) {
                                                 // Fill dirty to its growth limit, so that
                                                 // re-inserting expunged key 1 must grow it.
                                                 for (int k = 50;; ++k) {
                                                   const auto s = map_test_access::shape(m);
                                                   if (s.has_dirty && s.dirty_entries == s.dirty_room) break;
                                                   m.store(k, k);
                                                 }
                                               });
  EXPECT_GE(needed, 2);  // the value box and the grown dirty map
}

TEST(AllocationFailure, OverwriteHasNoEffectWhenItsAllocationFails) {
  const int needed = sweep_allocation_failures([](int_map& m) { m.store(3, 33); });
  EXPECT_EQ(needed, 1);  // just the value box
}

TEST(AllocationFailure, StoreOfANewKeyThatMustGrowTheDirtyMapHasNoEffectWhenAnyAllocationFails) {
  const int needed = sweep_allocation_failures([](int_map& m) { m.store(1000, 1000); },
                                               [](int_map& m) {
                                                 // Fill dirty to its growth limit, so that
                                                 // the new key must grow it.
                                                 for (int k = 50;; ++k) {
                                                   const auto s = map_test_access::shape(m);
                                                   if (s.has_dirty && s.dirty_entries == s.dirty_room) break;
                                                   m.store(k, k);
                                                 }
                                               });
  EXPECT_GE(needed, 3);  // box, entry and the grown dirty map
}

TEST(AllocationFailure, DirtyRebuildRightAfterAPromotionHasNoEffectWhenAnyAllocationFails) {
  // fill() ends with a promoted snapshot and no dirty map: the new key
  // rebuilds dirty from the snapshot (expunging keys 1 and 2).
  const int needed = sweep_allocation_failures([](int_map& m) {
    ASSERT_FALSE(map_test_access::shape(m).has_dirty);
    m.store(50, 50);
    ASSERT_TRUE(map_test_access::shape(m).has_dirty);
  });
  EXPECT_GE(needed, 3);  // box, entry, the rebuilt dirty map
}

// Promotion, range()'s promotion and clear() allocate nothing (retirement is
// intrusive): with every allocation failing they still succeed.
TEST(AllocationFailure, PromotionByLoadMissesNeedsNoAllocation) {
  const int needed = sweep_allocation_failures(
      [](int_map& m) {
        for (int i = 0; i < 64 && map_test_access::shape(m).amended; ++i) (void)m.load(60);  // misses
        ASSERT_FALSE(map_test_access::shape(m).amended);
      },
      [](int_map& m) {
        m.store(50, 50);  // dirty-only keys: the snapshot is amended
        m.store(51, 51);
      });
  EXPECT_EQ(needed, 0);
}

TEST(AllocationFailure, RangePromotionNeedsNoAllocation) {
  const int needed = sweep_allocation_failures(
      [](int_map& m) {
        int visited = 0;
        m.range([&visited](int, int) { ++visited; });
        EXPECT_EQ(visited, 10);  // 0..9 without 1 and 2, plus 50 and 51
        ASSERT_FALSE(map_test_access::shape(m).amended);
      },
      [](int_map& m) {
        m.store(50, 50);
        m.store(51, 51);
      });
  EXPECT_EQ(needed, 0);
}

TEST(AllocationFailure, ClearNeedsNoAllocation) {
  int_map m;
  fill(m);
  m.store(50, 50);  // snapshot, dirty and expunged entries
  t_allocations_until_failure = 0;
  m.clear();
  t_allocations_until_failure = -1;
  EXPECT_TRUE(contents(m).empty());
  m.store(1, 1);
  EXPECT_EQ(m.load(1), 1);
}

TEST(AllocationFailure, FirstOperationOfANewThreadHasNoEffectWhenItsRecordCannotBeAllocated) {
  // Other tests' threads have exited, so a free record is normally reused;
  // this thread's first operation allocates one only if none is free. Either
  // way the operation must succeed or fail without effect.
  int_map m;
  std::thread([&m] {
    t_allocations_until_failure = 0;
    try {
      m.store(1, 1);
    } catch (const std::bad_alloc&) {
    }
    t_allocations_until_failure = -1;
    const bool stored = m.contains(1);
    m.store(2, 2);
    EXPECT_TRUE(m.contains(2));
    if (stored) {
      EXPECT_EQ(m.load(1), 1);
    }
  }).join();
}

}  // namespace
