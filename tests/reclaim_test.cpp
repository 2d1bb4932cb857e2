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

constexpr reclaim::owner::ops kA{&counting_owner::dispose_a, nullptr};
constexpr reclaim::owner::ops kB{&counting_owner::dispose_b, nullptr};

class Reclaim : public ::testing::Test {
 protected:
  void SetUp() override {
    reclaim::quiesce();
    counting_owner::disposed[0] = 0;
    counting_owner::disposed[1] = 0;
  }
};

// Retirements of default-sized nodes that make one collection's worth.
constexpr unsigned kNodesPerCollection = reclaim::kCollectBytes / reclaim::kDefaultNodeBytes;

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
  const reclaim::owner o(kA);
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
  const reclaim::owner o(kA);
  for (unsigned i = 0; i < 4 * kNodesPerCollection; ++i) retire_one(o);  // triggers collections
  EXPECT_LE(reclaim::stats().epoch, start + 1);
  EXPECT_EQ(counting_owner::disposed[0].load(), 0) << "disposed while a section that could see it was open";
  release = true;
  reader.join();
  reclaim::quiesce();
  EXPECT_EQ(counting_owner::disposed[0].load(), static_cast<int>(4 * kNodesPerCollection));
}

TEST_F(Reclaim, CollectionFreesWithoutQuiesceWhenNoSectionIsOpen) {
  const reclaim::owner o(kA);
  for (unsigned i = 0; i < 4 * kNodesPerCollection; ++i) retire_one(o);
  EXPECT_GT(counting_owner::disposed[0].load(), 0);
}

// A node that stands for one whole collection's worth of bytes.
std::size_t one_collection(const reclaim::node*, unsigned) noexcept { return reclaim::kCollectBytes; }

constexpr reclaim::owner::ops kSizedA{&counting_owner::dispose_a, &one_collection};

TEST_F(Reclaim, CollectionIsTriggeredByRetiredBytesNotByNodeCount) {
  const reclaim::owner o(kSizedA);
  retire_one(o);  // collects at the section's end: advances once
  retire_one(o);  // collects again: the first node is two epochs old
  EXPECT_EQ(counting_owner::disposed[0].load(), 1);
  EXPECT_EQ(reclaim::stats().pending_bytes, reclaim::kCollectBytes);
}

TEST_F(Reclaim, PendingBytesCountEachNodeAsItsOwnerSizesIt) {
  const reclaim::owner sized(kSizedA);
  const reclaim::owner unsized(kB);
  {
    reclaim::section outer;  // no collection until it ends
    reclaim::retire(outer, sized, new probe, 0);
    reclaim::retire(outer, unsized, new probe, 0);
    EXPECT_EQ(reclaim::stats().pending_bytes, reclaim::kCollectBytes + reclaim::kDefaultNodeBytes);
  }
}

// A reader thread that enters a section and stays in it until `leave_when`
// returns true.
template <class F>
std::thread reader_holding_a_section(std::atomic<bool>& inside, F leave_when) {
  return std::thread([&inside, leave_when] {
    reclaim::section s;
    inside = true;
    while (!leave_when()) std::this_thread::yield();
  });
}

// Retires nodes of a collection's worth each until the writer waited once.
TEST_F(Reclaim, WriterWaitsForAReaderHoldingTheEpochOnceItsPendingBytesPassThePressureLimit) {
  const reclaim::owner o(kSizedA);
  constexpr unsigned kToPressure = reclaim::kPressureBytes / reclaim::kCollectBytes + 2;
  // The reader leaves as soon as the writer starts waiting; if the machine
  // keeps it off the CPU for the whole wait bound, the writer gives up and
  // the attempt is repeated.
  bool waited_and_freed = false;
  for (int attempt = 0; attempt < 5 && !waited_and_freed; ++attempt) {
    const auto before = reclaim::stats();
    std::atomic<bool> inside{false};
    std::thread reader = reader_holding_a_section(
        inside, [&] { return reclaim::stats().pressure_waits > before.pressure_waits; });
    while (!inside.load()) std::this_thread::yield();
    for (unsigned i = 0; i < kToPressure; ++i) retire_one(o);
    reader.join();
    const auto after = reclaim::stats();
    EXPECT_GE(after.pressure_waits, before.pressure_waits + 1);
    waited_and_freed =
        after.pressure_give_ups == before.pressure_give_ups && after.pending_bytes <= reclaim::kPressureBytes;
    reclaim::quiesce();
  }
  EXPECT_TRUE(waited_and_freed) << "every attempt gave up waiting for a reader that was leaving";
}

TEST_F(Reclaim, WriterGivesUpWaitingForAReaderThatNeverLeavesOncePerDoublingOfItsGarbage) {
  const reclaim::owner o(kSizedA);
  constexpr unsigned kNodes = 16 * reclaim::kPressureBytes / reclaim::kCollectBytes;
  std::atomic<bool> inside{false};
  std::atomic<bool> done{false};
  std::thread reader = reader_holding_a_section(inside, [&] { return done.load(); });
  while (!inside.load()) std::this_thread::yield();
  const auto before = reclaim::stats();
  for (unsigned i = 0; i < kNodes; ++i) retire_one(o);  // returns: the waits are bounded
  const auto after = reclaim::stats();
  EXPECT_EQ(counting_owner::disposed[0].load(), 0) << "disposed while a section that could see it was open";
  // The limit doubles at each give-up: from kPressureBytes to 16x that is
  // four doublings, so at most five waits, not one per collection.
  EXPECT_GE(after.pressure_give_ups - before.pressure_give_ups, 1u);
  EXPECT_LE(after.pressure_waits - before.pressure_waits, 5u);
  done = true;
  reader.join();
  reclaim::quiesce();
  EXPECT_EQ(counting_owner::disposed[0].load(), static_cast<int>(kNodes));
}

TEST_F(Reclaim, DrainDisposesTheOwnersNodesOnly) {
  const reclaim::owner a(kA);
  {
    const reclaim::owner b(kB);
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
    const reclaim::owner o(kA);
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
    const reclaim::owner o(kA);
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
