// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The reclamation domain: the registry of thread records, epoch advance,
// retirement, collection and draining. The read-side fast path is inline in
// reclaim.hpp; everything here runs at most once per kCollectThreshold
// retirements, at thread start and exit, or when a map is destroyed.

#include "syncmap/detail/reclaim.hpp"

#include <atomic>
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

// One attempt to move the global epoch from e to e + 1: possible when every
// thread inside a section announced e. Returns whether the epoch moved (by
// us or by a concurrent attempt).
bool try_advance() noexcept {
  std::uint64_t e = global_epoch.value.load(std::memory_order_seq_cst);
  // Every reader's announcement made before this point is now visible to the
  // loads below; a reader that announces later sees every unlink made before
  // this point (asymmetric_fence.hpp).
  heavy_fence();
  SYNCMAP_SCHEDULE_POINT(epoch_scan);
  for (thread_record* r = first_record(); r != nullptr; r = r->next_record) {
    // acquire: orders the reader's accesses before its announcement (or its
    // exit) before anything freed as a consequence of this advance.
    const std::uint64_t s = r->state.load(std::memory_order_acquire);
    if ((s & 1) != 0 && (s >> 1) != e) return false;
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
    }
  }
}

// Disposes every node of r that is ready at `global`, one node per lock
// acquisition so that a draining owner can take nodes out concurrently and
// only has to wait for the one being disposed.
void dispose_ready(thread_record& self, thread_record& r, std::uint64_t global) noexcept {
  r.lock.lock();
  move_ready_locked(r, global);
  r.lock.unlock();
  for (;;) {
    r.lock.lock();
    node* n = r.freeable;
    if (n == nullptr) {
      r.lock.unlock();
      return;
    }
    r.freeable = n->link;
    const owner* o = owner_of(n);
    // relaxed: published to a draining owner by r.lock (it locks r before it
    // looks at our disposing field).
    self.disposing.store(o, std::memory_order_relaxed);
    r.lock.unlock();
    o->dispose(n, kind_of(n));
    // release: the disposal happens before the drainer's return.
    self.disposing.store(nullptr, std::memory_order_release);
  }
}

void release_record(thread_record& r) noexcept {
  tls_record = nullptr;
  r.transient = false;
  // release: pairs with the acquire in claim_free_record().
  r.in_use.store(false, std::memory_order_release);
}

// Moves the nodes of `o` from the list starting at `head` onto `out`, and
// returns the list's new last node.
node* extract(const owner* o, node*& head, node*& out) noexcept {
  node** pos = &head;
  node* last = nullptr;
  while (node* n = *pos) {
    if (owner_of(n) == o) {
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
  collect(*r);
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
    r->retired_since_collect = kCollectThreshold;  // forces the slow exit path
  } else {
    r->transient = false;
    r->retired_since_collect = 0;
    t_exit_handler.arm();
  }
  tls_record = r;
  return r;
}

void collect(thread_record& self) noexcept {
  if (self.collecting) return;
  self.collecting = true;
  self.retired_since_collect = 0;
  // Two advances make what was retired before the first one free, when no
  // section blocks them.
  if (try_advance()) try_advance();
  const std::uint64_t global = global_epoch.value.load(std::memory_order_acquire);
  // Every record's lists, not only ours: an exited thread, or a live one that
  // stopped writing, would otherwise keep its ready nodes indefinitely.
  for_each_record([&](thread_record& r) { dispose_ready(self, r, global); });
  self.collecting = false;
}

void release_transient(thread_record& self) noexcept {
  collect(self);
  release_record(self);
}

void retire(const section& s, const owner& o, node* n, unsigned kind) noexcept {
  thread_record& r = s.record();
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
  }
  b.epoch = e;
  n->link = b.head;
  if (b.head == nullptr) b.tail = n;
  b.head = n;
  r.lock.unlock();
  ++r.retired_since_collect;
}

void owner::drain() const noexcept {
  node* mine = nullptr;
  for_each_record([&](thread_record& r) {
    r.lock.lock();
    for (retire_bucket& b : r.buckets) {
      b.tail = extract(this, b.head, mine);
    }
    extract(this, r.freeable, mine);
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
  self->retired_since_collect = 0;
}

domain_stats stats() {
  domain_stats out;
  out.epoch = global_epoch.value.load(std::memory_order_seq_cst);
  for_each_record([&](thread_record& r) {
    ++out.records;
    if (r.in_use.load(std::memory_order_acquire)) ++out.records_in_use;
    r.lock.lock();
    for (const retire_bucket& b : r.buckets) {
      for (const node* n = b.head; n != nullptr; n = n->link) ++out.pending_nodes;
    }
    for (const node* n = r.freeable; n != nullptr; n = n->link) ++out.pending_nodes;
    r.lock.unlock();
  });
  return out;
}

}  // namespace reclaim
}  // namespace detail
}  // namespace syncmap
