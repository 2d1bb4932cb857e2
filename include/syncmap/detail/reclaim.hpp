// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Safe memory reclamation: the one interface through which the map frees
// what a lock-free reader may still be looking at.
//
//   section s;                  // enter a read section (RAII); nests
//   retire(s, owner, node, k);  // node is unlinked: dispose it once no
//                               // section that could have seen it is open
//   owner.drain();              // dispose every pending node of this owner
//                               // now (no reader of it may exist)
//
// The scheme is epoch-based reclamation with asymmetric fences: entering a
// section is a load of the global epoch and a release store to the thread's
// own record followed by a compiler barrier -- no atomic read-modify-write,
// no fence, no write to memory another thread writes. The cost moves to the
// rare epoch advance, which issues membarrier(2) before scanning the records.
// docs/design.md explains the choice against libcds's hazard pointers and
// URCU, and the argument for why it is safe.

#ifndef SYNCMAP_DETAIL_RECLAIM_HPP_
#define SYNCMAP_DETAIL_RECLAIM_HPP_

#include <cstddef>
#include <cstdint>

#include "syncmap/detail/asymmetric_fence.hpp"
#include "syncmap/detail/config.hpp"
#include "syncmap/detail/schedule_point.hpp"
#include "syncmap/detail/thread_record.hpp"

namespace syncmap {
namespace detail {
namespace reclaim {

// Frees every node that became unreachable, in any thread's lists, advancing
// the epoch first when this thread's own nodes need it. Called at the end of
// an outermost section once kCollectBytes were retired since the last call.
//
// If this thread then still has more than its pressure limit pending
// (kPressureBytes; a reader inside a section holds the epoch back), it waits
// for that reader -- yielding, then sleeping, and retrying the advance --
// until its pending bytes fall below kPressureBytes, for at most
// kMaxPressureWaitMicros. The bound is what makes the wait safe: the caller is
// outside every section and holds no map mutex, but it may hold a lock of its
// own that the reader it waits for is about to take inside a range()
// callback. Such a reader then delays the writer by the bound, once per
// doubling of the writer's pending bytes, instead of deadlocking it.
void collect(thread_record& self) noexcept;

// The longest collect() waits for readers before it gives up.
inline constexpr std::uint64_t kMaxPressureWaitMicros = 10'000;

// Releases a transient record at the end of its outermost section.
void release_transient(thread_record& self) noexcept;

// The owner of retired nodes: one per map. Its dispose function frees a node
// given the kind the map passed to retire(). Destroying an owner drains it.
//
// Its size function estimates a node's bytes (the object itself, not what its
// members own elsewhere); the domain collects by retired bytes. Without one,
// every node counts kDefaultNodeBytes.
//
// The functions sit in a static `ops` table, one per map type, and the owner
// holds one pointer to it: an owner is a member of every map, and this keeps
// it one word, as it was before nodes had sizes.
class alignas(8) owner {
 public:
  using dispose_fn = void (*)(node* n, unsigned kind) noexcept;
  using size_fn = std::size_t (*)(const node* n, unsigned kind) noexcept;
  static constexpr unsigned kKindBits = 3;
  static constexpr std::uintptr_t kKindMask = (std::uintptr_t{1} << kKindBits) - 1;

  // What an owner does with its nodes. Must outlive the owner (a static).
  struct ops {
    dispose_fn dispose;  // frees a node given its kind
    size_fn size;        // may be null
  };

  explicit owner(const ops& o) noexcept : ops_(&o) {}
  owner(const owner&) = delete;
  owner& operator=(const owner&) = delete;
  ~owner() { drain(); }

  // Disposes, now, every node retired through this owner that is still
  // pending in any thread's lists, and waits for any disposal of one of its
  // nodes in progress on another thread. The caller guarantees that no read
  // section can still reach the owner's objects (the map is being destroyed,
  // so by the C++ object model no operation on it is running).
  void drain() const noexcept;

  void dispose(node* n, unsigned kind) const noexcept { ops_->dispose(n, kind); }

  std::size_t bytes_of(const node* n, unsigned kind) const noexcept {
    return ops_->size == nullptr ? kDefaultNodeBytes : ops_->size(n, kind);
  }

 private:
  const ops* ops_;  // immutable; points to a static
};

// Enters a read section on construction and leaves it on destruction.
// While any section opened before a node's retirement is still open, the node
// is not disposed. Sections nest (range() callbacks call back into maps) and
// are strictly scoped, so only the outermost one announces itself and only
// its end announces quiescence; an inner section touches nothing shared.
//
// Why no nesting counter: a counter in the record is read, changed and
// written back by every section, and the next section's update depends on
// the last one's store -- a chain through store-to-load forwarding that cost
// the load hit about 1 ns (a third of it). Whether a section is outermost is
// instead read off `state` (which only feeds a predicted branch) and kept in
// the section itself.
class section {
 public:
  // May throw std::bad_alloc on the first section of a thread (record
  // allocation); afterwards it never throws.
  SYNCMAP_ALWAYS_INLINE section() : rec_(record_of_this_thread()), outermost_(enter(rec_)) {}
  SYNCMAP_ALWAYS_INLINE ~section() {
    if (outermost_) leave(rec_);
  }
  section(const section&) = delete;
  section& operator=(const section&) = delete;

  thread_record& record() const noexcept { return *rec_; }

  // Whether this section announced itself (no section enclosed it).
  bool outermost() const noexcept { return outermost_; }

 private:
  SYNCMAP_ALWAYS_INLINE static thread_record* record_of_this_thread() {
    thread_record* r = tls_record;
    if (SYNCMAP_UNLIKELY(r == nullptr)) r = register_thread();
    return r;
  }

  // Returns whether the section is the outermost one.
  SYNCMAP_ALWAYS_INLINE static bool enter(thread_record* r) noexcept {
    // relaxed: only this thread stores state, so it reads its own last store.
    if (r->state.load(std::memory_order_relaxed) != 0) return false;
    // acquire: pairs with the seq_cst CAS that advanced the epoch, so the
    // section sees every unlink that preceded the advance (design.md).
    const std::uint64_t e = global_epoch.value.load(std::memory_order_acquire);
    // release: see thread_record::state.
    r->state.store((e << 1) | 1, std::memory_order_release);
    // The announcement must be visible before this section's loads of
    // shared pointers; heavy_fence() in the epoch advance supplies the
    // hardware half of that store-load ordering.
    light_fence(r->asymmetric);
    SYNCMAP_SCHEDULE_POINT(section_entered);
    return true;
  }

  SYNCMAP_ALWAYS_INLINE static void leave(thread_record* r) noexcept {
    // release: every load of this section happens before the store, and a
    // collector that reads it (acquire) may then free what we read.
    r->state.store(0, std::memory_order_release);
    if (SYNCMAP_UNLIKELY(r->retired_bytes_since_collect >= kCollectBytes)) {
      if (r->transient) {
        release_transient(*r);
      } else {
        collect(*r);
      }
    }
  }

  thread_record* rec_;  // this thread's record; immutable
  bool outermost_;      // immutable
};

// Hands an unlinked node to the domain. `kind` (< 8) is passed back to the
// owner's dispose function. Must be called inside a section, after the node
// was made unreachable for sections that start from now on, by a seq_cst
// atomic operation or under the map mutex (design.md, "Retirement"). Never
// throws and never frees anything itself: freeing happens at the end of an
// outermost section, never while the map mutex may be held.
void retire(const section& s, const owner& o, node* n, unsigned kind) noexcept;

// ---- For tests, stress harnesses and diagnostics. ----

// Advances the epoch as far as sections open elsewhere allow and disposes
// everything that became free, including nodes of exited threads. The caller
// must not be inside a section. Waits for sections open elsewhere to close
// (so it must not be called while holding anything such a section waits for).
void quiesce();

// Makes every thread collect after `bytes` retired instead of kCollectBytes
// (0 restores the default). For stress harnesses: more frequent epoch
// advances give a reclamation bug more chances to show within a short run.
// Costs one relaxed load per retire(); the read path does not see it.
void set_collect_bytes(std::size_t bytes) noexcept;

struct domain_stats {
  std::size_t records = 0;              // thread records ever allocated
  std::size_t records_in_use = 0;       // records owned by a live thread
  std::size_t pending_nodes = 0;        // retired, not yet disposed
  std::size_t pending_bytes = 0;        // their owners' size estimates, summed (waiting for an epoch)
  std::uint64_t pressure_waits = 0;     // collect() waited for readers (since the start)
  std::uint64_t pressure_give_ups = 0;  // ... and gave up after kMaxPressureWaitMicros
  std::uint64_t epoch = 0;              // the global epoch
};
domain_stats stats();

}  // namespace reclaim
}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_RECLAIM_HPP_
