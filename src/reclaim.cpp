// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The reclamation domain: the registry of thread records, epoch advance,
// retirement, collection and draining. The read-side fast path is inline in
// reclaim.hpp; everything here runs at most once per kCollectBytes retired,
// at thread start and exit, or when a map is destroyed.

#include "syncmap/detail/reclaim.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "syncmap/detail/asymmetric_fence.hpp"
#include "syncmap/detail/schedule_point.hpp"
#include "syncmap/detail/thread_record.hpp"

namespace syncmap {
namespace detail {
namespace reclaim {
namespace {

// Head of the registry: every record ever allocated, newest first. Records
// are never freed (they are reused), so a traversal needs no protection.
// Pushed with a seq_cst CAS; traversals load it with acquire, after the
// heavy fence when they look for readers (a reader whose record a scan
// misses published it after the scan's fence, so it sees every unlink that
// preceded the fence).
std::atomic<thread_record*> g_registry{nullptr};

template <class F>
void for_each_record(F&& f) {
  for (thread_record* r = first_record(); r != nullptr; r = r->next_record) f(*r);
}

const owner* owner_of(const node* n) noexcept {
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the tag holds an owner address.
  return reinterpret_cast<const owner*>(n->tag & ~owner::kKindMask);
}
unsigned kind_of(const node* n) noexcept { return static_cast<unsigned>(n->tag & owner::kKindMask); }

// Runs the calling thread's exit handler: releases its record. A thread_local
// with a non-trivial destructor; constructed when register_thread() arms it.
struct exit_handler {
  ~exit_handler();
  void arm() noexcept { armed = true; }
  bool armed = false;
};
thread_local exit_handler t_exit_handler;

// Set once the exit handler of this thread has run: a later registration
// (a map used from a thread_local destructor that runs after ours) gets a
// transient record, released at the end of its outermost section.
thread_local bool t_exited = false;

thread_record* claim_free_record() noexcept {
  for (thread_record* r = first_record(); r != nullptr; r = r->next_record) {
    // acquire: pairs with the release in release_record(), so the previous
    // owner's last writes to the record happen before ours.
    if (!r->in_use.load(std::memory_order_relaxed) && !r->in_use.exchange(true, std::memory_order_acquire)) {
      return r;
    }
  }
  return nullptr;
}

// set_collect_bytes(): 0, or the retired bytes after which a thread collects.
// relaxed: a tuning value; a thread that reads an old one collects a little
// earlier or later, which no correctness argument depends on.
std::atomic<std::size_t> g_collect_bytes{0};

// Counters for stats(): how often collect() waited for readers, and gave up.
// relaxed: statistics only, ordered with nothing.
std::atomic<std::uint64_t> g_pressure_waits{0};
std::atomic<std::uint64_t> g_pressure_give_ups{0};

// Whether a record whose state word is `s` keeps the epoch from advancing
// past e: it is inside a section that announced another epoch. The one rule
// of the advance, shared by the filter and the fenced scan below.
bool blocks_advance(std::uint64_t s, std::uint64_t e) noexcept { return (s & 1) != 0 && (s >> 1) != e; }

// Whether a record visibly sits in a section that announced an epoch other
// than e. A cheap look without the heavy fence: it can miss a section (then
// the fenced scan decides), and a stale state it sees only makes an advance
// wait for the next attempt, so it is a filter, never a proof.
bool visibly_blocked(std::uint64_t e) noexcept {
  for (thread_record* r = first_record(); r != nullptr; r = r->next_record) {
    // relaxed: only filters; nothing is freed on the strength of this load.
    if (blocks_advance(r->state.load(std::memory_order_relaxed), e)) return true;
  }
  return false;
}

// One attempt to move the global epoch from e to e + 1: possible when every
// thread inside a section announced e. Returns whether the epoch moved (by
// us or by a concurrent attempt).
bool try_advance() noexcept {
  std::uint64_t e = global_epoch.value.load(std::memory_order_seq_cst);
  // A section visibly still on an older epoch would fail the scan below
  // anyway: skip the membarrier (tens of us on a busy VM) that would precede it.
  if (visibly_blocked(e)) return false;
  // Every reader's announcement made before this point is now visible to the
  // loads below; a reader that announces later sees every unlink made before
  // this point (asymmetric_fence.hpp).
  heavy_fence();
  SYNCMAP_SCHEDULE_POINT(epoch_scan);
  for (thread_record* r = first_record(); r != nullptr; r = r->next_record) {
    // acquire: orders the reader's accesses before its announcement (or its
    // exit) before anything freed as a consequence of this advance.
    const std::uint64_t s = r->state.load(std::memory_order_acquire);
    if (blocks_advance(s, e)) return false;
  }
  // seq_cst: totally ordered with the seq_cst epoch loads in retire() and with
  // the unlinks that precede them; a failed CAS means another thread advanced.
  global_epoch.value.compare_exchange_strong(e, e + 1, std::memory_order_seq_cst);
  return true;
}

// Moves the buckets of r that are at least two epochs old onto its freeable
// list. Requires r.lock.
void move_ready_locked(thread_record& r, std::uint64_t global) noexcept {
  for (retire_bucket& b : r.buckets) {
    if (b.head != nullptr && b.epoch + 2 <= global) {
      b.tail->link = r.freeable;
      r.freeable = b.head;
      b.head = b.tail = nullptr;
      b.bytes = 0;
    }
  }
}

// The most nodes one lock acquisition takes off a freeable list to dispose.
// A draining owner waits for a batch holding its nodes, so the batch is short;
// taking one node per acquisition made the lock's two atomic operations a
// seventh of a swap's time.
constexpr int kDisposeBatch = 32;

// Disposes every node of r that is ready at `global`, in batches of
// consecutive nodes of one owner, so that a draining owner can take nodes out
// concurrently and only has to wait for the batch being disposed.
void dispose_ready(thread_record& self, thread_record& r, std::uint64_t global) noexcept {
  r.lock.lock();
  move_ready_locked(r, global);
  r.lock.unlock();
  for (;;) {
    r.lock.lock();
    node* first = r.freeable;
    if (first == nullptr) {
      r.lock.unlock();
      return;
    }
    const owner* o = owner_of(first);
    node* last = first;
    for (int k = 1; k < kDisposeBatch && last->link != nullptr && owner_of(last->link) == o; ++k) {
      last = last->link;
    }
    r.freeable = last->link;
    last->link = nullptr;
    // relaxed: published to a draining owner by r.lock (it locks r before it
    // looks at our disposing field).
    self.disposing.store(o, std::memory_order_relaxed);
    r.lock.unlock();
    while (first != nullptr) {
      node* next = first->link;
      o->dispose(first, kind_of(first));
      first = next;
    }
    // release: the disposals happen before the drainer's return.
    self.disposing.store(nullptr, std::memory_order_release);
  }
}

// Sum of the bytes waiting in r's buckets. Requires r.lock.
std::size_t pending_bytes_locked(const thread_record& r) noexcept {
  std::size_t n = 0;
  for (const retire_bucket& b : r.buckets) n += b.bytes;
  return n;
}

std::size_t pending_bytes(thread_record& r) noexcept {
  r.lock.lock();
  const std::size_t n = pending_bytes_locked(r);
  r.lock.unlock();
  return n;
}

// The newest epoch at which r retired something still pending, or 0 if
// nothing is pending.
std::uint64_t newest_pending_epoch(thread_record& r) noexcept {
  std::uint64_t newest = 0;
  r.lock.lock();
  for (const retire_bucket& b : r.buckets) {
    if (b.head != nullptr && b.epoch > newest) newest = b.epoch;
  }
  r.lock.unlock();
  return newest;
}

// Advances the epoch if this thread's own pending nodes need it (a node
// retired at epoch e is free at e + 2; another thread's advance may already
// have done it), then disposes what is ready in every record: an exited
// thread, or a live one that stopped writing, would otherwise keep its ready
// nodes indefinitely. One advance per call, not two: nodes wait one more
// collection, and the membarrier count halves.
void collect_ready(thread_record& self) noexcept {
  const std::uint64_t newest = newest_pending_epoch(self);
  if (newest != 0 && global_epoch.value.load(std::memory_order_seq_cst) < newest + 2) try_advance();
  // acquire: pairs with the CAS that advanced it, after which the scan that
  // allowed the advance read every blocking reader's release store.
  const std::uint64_t global = global_epoch.value.load(std::memory_order_acquire);
  for_each_record([&](thread_record& r) { dispose_ready(self, r, global); });
}

// collect()'s back-pressure: see reclaim.hpp. Runs outside every section.
void relieve_pressure(thread_record& self) noexcept {
  std::size_t pending = pending_bytes(self);
  if (pending <= kPressureBytes) {
    self.pressure_limit = kPressureBytes;
    return;
  }
  if (pending <= self.pressure_limit) return;
  g_pressure_waits.fetch_add(1, std::memory_order_relaxed);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kMaxPressureWaitMicros);
  for (int round = 0;; ++round) {
    // Yield first (the blocking reader may be runnable on this CPU); then
    // sleep, which lets an idle CPU pull a reader queued behind another thread.
    if (round < 8) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    if (try_advance()) {
      const std::uint64_t global = global_epoch.value.load(std::memory_order_acquire);
      dispose_ready(self, self, global);
      pending = pending_bytes(self);
      if (pending <= kPressureBytes / 2) {
        self.pressure_limit = kPressureBytes;
        return;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      g_pressure_give_ups.fetch_add(1, std::memory_order_relaxed);
      self.pressure_limit = 2 * pending;
      return;
    }
  }
}

// One collection, unless this thread is already inside one (a disposal that
// re-enters a map ends a section of its own, whose collection must not
// recurse into this one). Only collect() passes may_wait: a record being
// given up (thread exit, a transient record) leaves what is still pending to
// the next collection of any thread.
void collect_once(thread_record& self, bool may_wait) noexcept {
  if (self.collecting) return;
  self.collecting = true;
  self.retired_bytes_since_collect = 0;
  collect_ready(self);
  if (may_wait) relieve_pressure(self);
  self.collecting = false;
}

void release_record(thread_record& r) noexcept {
  tls_record = nullptr;
  r.transient = false;
  // release: pairs with the acquire in claim_free_record().
  r.in_use.store(false, std::memory_order_release);
}

// Moves the nodes of `o` from the list starting at `head` onto `out`, and
// returns the list's new last node. Subtracts their sizes from `bytes`.
node* extract(const owner* o, node*& head, node*& out, std::size_t& bytes) noexcept {
  node** pos = &head;
  node* last = nullptr;
  while (node* n = *pos) {
    if (owner_of(n) == o) {
      const std::size_t size = o->bytes_of(n, kind_of(n));
      bytes -= size < bytes ? size : bytes;
      *pos = n->link;
      n->link = out;
      out = n;
    } else {
      last = n;
      pos = &n->link;
    }
  }
  return last;
}

exit_handler::~exit_handler() {
  t_exited = true;
  thread_record* r = tls_record;
  if (r == nullptr) return;
  collect_once(*r, /*may_wait=*/false);
  release_record(*r);
}

}  // namespace

thread_record* first_record() noexcept { return g_registry.load(std::memory_order_acquire); }

thread_record* register_thread() {
  const bool asymmetric = asymmetric_fences_available();
  thread_record* r = claim_free_record();
  if (r == nullptr) {
    r = new thread_record;  // may throw std::bad_alloc: nothing changed yet
    r->in_use.store(true, std::memory_order_relaxed);
    thread_record* head = g_registry.load(std::memory_order_relaxed);
    do {
      r->next_record = head;
    } while (
        !g_registry.compare_exchange_weak(head, r, std::memory_order_seq_cst, std::memory_order_relaxed));
  }
  r->asymmetric = asymmetric;
  r->collecting = false;
  if (t_exited) {
    r->transient = true;
    r->retired_bytes_since_collect = kCollectBytes;  // forces the slow exit path
  } else {
    r->transient = false;
    r->retired_bytes_since_collect = 0;
    t_exit_handler.arm();
  }
  tls_record = r;
  return r;
}

void collect(thread_record& self) noexcept { collect_once(self, /*may_wait=*/true); }

void release_transient(thread_record& self) noexcept {
  collect_once(self, /*may_wait=*/false);
  release_record(self);
}

void retire(const section& s, const owner& o, node* n, unsigned kind) noexcept {
  thread_record& r = s.record();
  const std::size_t bytes = o.bytes_of(n, kind);
  n->tag = reinterpret_cast<std::uintptr_t>(&o) | kind;
  r.lock.lock();
  // seq_cst: ordered after the unlink (a seq_cst RMW/store, or a mutex
  // section that any reader holding the node went through), so the epoch read
  // is at least the one any reader that can still reach the node announced.
  const std::uint64_t e = global_epoch.value.load(std::memory_order_seq_cst);
  retire_bucket& b = r.buckets[e % 3];
  if (b.head != nullptr && b.epoch != e) {
    // Same slot, so b.epoch <= e - 3: those nodes are already free.
    b.tail->link = r.freeable;
    r.freeable = b.head;
    b.head = b.tail = nullptr;
    b.bytes = 0;
  }
  b.epoch = e;
  n->link = b.head;
  if (b.head == nullptr) b.tail = n;
  b.head = n;
  b.bytes += bytes;
  r.lock.unlock();
  r.retired_bytes_since_collect += bytes;
  const std::size_t every = g_collect_bytes.load(std::memory_order_relaxed);
  if (every != 0 && r.retired_bytes_since_collect >= every && r.retired_bytes_since_collect < kCollectBytes) {
    r.retired_bytes_since_collect = kCollectBytes;  // what leave() tests
  }
}

void owner::drain() const noexcept {
  node* mine = nullptr;
  for_each_record([&](thread_record& r) {
    r.lock.lock();
    for (retire_bucket& b : r.buckets) {
      b.tail = extract(this, b.head, mine, b.bytes);
      if (b.head == nullptr) b.bytes = 0;
    }
    std::size_t not_counted = 0;  // freeable nodes are no longer in any bucket's bytes
    extract(this, r.freeable, mine, not_counted);
    r.lock.unlock();
  });
  // A collector may have taken one of our nodes before we locked its record;
  // wait until it is done with it. Such a disposal never waits for us.
  for_each_record([&](thread_record& r) {
    while (r.disposing.load(std::memory_order_acquire) == this) std::this_thread::yield();
  });
  while (mine != nullptr) {
    node* n = mine;
    mine = n->link;
    dispose(n, kind_of(n));
  }
}

void quiesce() {
  thread_record* self = tls_record;
  if (self == nullptr) self = register_thread();
  const std::uint64_t target = global_epoch.value.load(std::memory_order_seq_cst) + 2;
  while (global_epoch.value.load(std::memory_order_seq_cst) < target) {
    if (!try_advance()) std::this_thread::yield();
  }
  const std::uint64_t global = global_epoch.value.load(std::memory_order_acquire);
  for_each_record([&](thread_record& r) { dispose_ready(*self, r, global); });
  self->retired_bytes_since_collect = 0;
}

void set_collect_bytes(std::size_t bytes) noexcept {
  g_collect_bytes.store(bytes, std::memory_order_relaxed);
}

domain_stats stats() {
  domain_stats out;
  out.epoch = global_epoch.value.load(std::memory_order_seq_cst);
  out.pressure_waits = g_pressure_waits.load(std::memory_order_relaxed);
  out.pressure_give_ups = g_pressure_give_ups.load(std::memory_order_relaxed);
  for_each_record([&](thread_record& r) {
    ++out.records;
    if (r.in_use.load(std::memory_order_acquire)) ++out.records_in_use;
    r.lock.lock();
    for (const retire_bucket& b : r.buckets) {
      for (const node* n = b.head; n != nullptr; n = n->link) ++out.pending_nodes;
      out.pending_bytes += b.bytes;
    }
    for (const node* n = r.freeable; n != nullptr; n = n->link) ++out.pending_nodes;
    r.lock.unlock();
  });
  return out;
}

}  // namespace reclaim
}  // namespace detail
}  // namespace syncmap
