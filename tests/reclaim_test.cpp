// The reclamation domain on its own: read sections, retirement, collection,
// draining an owner, and the epoch rule that makes it safe.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <syncmap/detail/asymmetric_fence.hpp>
#include <syncmap/detail/reclaim.hpp>

namespace {

namespace reclaim = syncmap::detail::reclaim;

// A retirable test object; its owner counts disposals by kind.
struct probe : reclaim::node {
  int id = 0;
};

struct counting_owner {
  static inline std::atomic<int> disposed[2] = {0, 0};
  static void dispose_a(reclaim::node* n, unsigned) noexcept {
    disposed[0].fetch_add(1);
    delete static_cast<probe*>(n);
  }
  static void dispose_b(reclaim::node* n, unsigned) noexcept {
    disposed[1].fetch_add(1);
    delete static_cast<probe*>(n);
  }
};

class Reclaim : public ::testing::Test {
 protected:
  void SetUp() override {
    reclaim::quiesce();
    counting_owner::disposed[0] = 0;
    counting_owner::disposed[1] = 0;
  }
};

void retire_one(const reclaim::owner& o) {
  reclaim::section s;
  reclaim::retire(s, o, new probe, 0);
}

TEST_F(Reclaim, SectionsNestAndOnlyTheOutermostAnnouncesItself) {
  reclaim::section outer;
  const auto state = outer.record().state.load();
  EXPECT_EQ(state & 1, 1u);
  {
    reclaim::section inner;
    EXPECT_EQ(&inner.record(), &outer.record());
    EXPECT_TRUE(outer.outermost());
    EXPECT_FALSE(inner.outermost());
    EXPECT_EQ(outer.record().state.load(), state);
  }
  EXPECT_EQ(outer.record().state.load(), state);  // the inner end announced nothing
}

TEST_F(Reclaim, LeavingTheOutermostSectionAnnouncesQuiescence) {
  reclaim::thread_record* rec = nullptr;
  {
    reclaim::section s;
    rec = &s.record();
  }
  EXPECT_EQ(rec->state.load(), 0u);
}

TEST_F(Reclaim, QuiesceDisposesEverythingRetiredBefore) {
  const reclaim::owner o(&counting_owner::dispose_a);
  for (int i = 0; i < 10; ++i) retire_one(o);
  reclaim::quiesce();
  EXPECT_EQ(counting_owner::disposed[0].load(), 10);
  EXPECT_EQ(reclaim::stats().pending_nodes, 0u);
}

TEST_F(Reclaim, EpochCannotAdvanceTwiceWhileASectionIsOpen) {
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  std::thread reader([&] {
    reclaim::section s;
    inside = true;
    while (!release.load()) std::this_thread::yield();
  });
  while (!inside.load()) std::this_thread::yield();
  const std::uint64_t start = reclaim::stats().epoch;
  const reclaim::owner o(&counting_owner::dispose_a);
  for (unsigned i = 0; i < 4 * reclaim::kCollectThreshold; ++i) retire_one(o);  // triggers collections
  EXPECT_LE(reclaim::stats().epoch, start + 1);
  EXPECT_EQ(counting_owner::disposed[0].load(), 0) << "disposed while a section that could see it was open";
  release = true;
  reader.join();
  reclaim::quiesce();
  EXPECT_EQ(counting_owner::disposed[0].load(), static_cast<int>(4 * reclaim::kCollectThreshold));
}

TEST_F(Reclaim, CollectionFreesWithoutQuiesceWhenNoSectionIsOpen) {
  const reclaim::owner o(&counting_owner::dispose_a);
  for (unsigned i = 0; i < 4 * reclaim::kCollectThreshold; ++i) retire_one(o);
  EXPECT_GT(counting_owner::disposed[0].load(), 0);
}

TEST_F(Reclaim, DrainDisposesTheOwnersNodesOnly) {
  const reclaim::owner a(&counting_owner::dispose_a);
  {
    const reclaim::owner b(&counting_owner::dispose_b);
    for (int i = 0; i < 5; ++i) {
      retire_one(a);
      retire_one(b);
    }
    b.drain();
    EXPECT_EQ(counting_owner::disposed[1].load(), 5);
    EXPECT_EQ(counting_owner::disposed[0].load(), 0);
  }
  a.drain();
  EXPECT_EQ(counting_owner::disposed[0].load(), 5);
}

TEST_F(Reclaim, DrainTakesNodesFromTheListsOfAnotherLiveThread) {
  std::atomic<bool> retired{false};
  std::atomic<bool> drained{false};
  {
    const reclaim::owner o(&counting_owner::dispose_a);
    std::thread other([&] {
      for (int i = 0; i < 5; ++i) retire_one(o);
      retired = true;
      while (!drained.load()) std::this_thread::yield();
    });
    while (!retired.load()) std::this_thread::yield();
    o.drain();
    EXPECT_EQ(counting_owner::disposed[0].load(), 5);
    drained = true;
    other.join();
  }
}

TEST_F(Reclaim, OwnerDestructorDrains) {
  {
    const reclaim::owner o(&counting_owner::dispose_a);
    for (int i = 0; i < 3; ++i) retire_one(o);
  }
  EXPECT_EQ(counting_owner::disposed[0].load(), 3);
}

TEST(AsymmetricFences, EnvironmentCanForceTheSymmetricFallback) {
  const char* force = std::getenv("SYNCMAP_FORCE_SYMMETRIC_FENCES");  // NOLINT(concurrency-mt-unsafe)
  const bool forced = force != nullptr && std::string(force) == "1";
  if (forced) {
    EXPECT_FALSE(syncmap::detail::asymmetric_fences_available());
  } else {
    // membarrier(2) is available on every kernel this project supports (4.14+).
    EXPECT_TRUE(syncmap::detail::asymmetric_fences_available());
  }
}

}  // namespace
