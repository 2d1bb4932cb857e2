// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The per-thread record of the reclamation domain, and the two process-wide
// words the read path touches: the global epoch and the thread's record
// pointer. Everything here is internal; reclaim.hpp is the interface.
//
// A record is claimed by a thread on its first operation on any sync_map
// (no user registration) and released when the thread exits; released records
// are reused, so the number of records is the peak number of threads that
// used a map at the same time, not the number of threads ever created.

#ifndef SYNCMAP_DETAIL_THREAD_RECORD_HPP_
#define SYNCMAP_DETAIL_THREAD_RECORD_HPP_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "syncmap/detail/config.hpp"
#include "syncmap/detail/spin_lock.hpp"

namespace syncmap {
namespace detail {
namespace reclaim {

class owner;

// Base of every object a reader may still hold after it is unlinked: value
// boxes, entries and tables. retire() hands it to the domain, which calls the
// owner's dispose function once no reader can reach it.
class node {
 public:
  node() = default;
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // The intrusive link. Before retire(), the object's owner may use it for
  // its own lists (the map chains expunged entries through it); from retire()
  // on it belongs to the domain and is guarded by the lock of the record whose
  // lists hold the node.
  node* link = nullptr;

  // Set by retire(): the owner's address with the owner-defined kind in the
  // low bits (owners are at least 8-byte aligned). Read by whoever disposes.
  std::uintptr_t tag = 0;
};

// Objects retired at one epoch by one thread, as an intrusive list.
struct retire_bucket {
  std::uint64_t epoch = 0;  // the global epoch read when they were retired
  node* head = nullptr;
  node* tail = nullptr;
  std::size_t bytes = 0;  // the owners' size estimates of the nodes, summed
};

// Bytes retired (as the owners estimate them) after which a thread frees what
// has become unreachable, advancing the epoch when that is what it takes.
//
// Why bytes and why this much: an advance costs one membarrier(2), about
// 0.4 us when the process's other threads sleep, but it interrupts every CPU
// running one of them (a VM exit on both ends on a virtual machine) and the
// kernel serializes concurrent calls. At 128 retired nodes per collection, two
// threads swapping values spent over 60% of their time there (docs/design.md
// has the figures); at 128 KiB -- 4,096 value boxes of an int64 map -- the
// calls are 120x fewer. Counting bytes rather than nodes also frees a retired
// table of a large map at the end of the section that retired it instead of
// after thousands more retirements.
// What a thread keeps pending is about two of these (a node waits for two
// advances), unless a reader stays inside one section; see kPressureBytes.
inline constexpr std::size_t kCollectBytes = std::size_t{128} << 10;

// The size an owner without a size function gives its nodes.
inline constexpr std::size_t kDefaultNodeBytes = 64;

// Pending bytes of one thread above which collect() waits for the readers that
// hold the epoch back (a reader preempted inside a section holds it for a
// whole time slice, during which a writer retires megabytes): back-pressure,
// like the allocation assists of Go's garbage collector. The wait is bounded
// (kMaxPressureWaitMicros); see collect().
inline constexpr std::size_t kPressureBytes = 4 * kCollectBytes;

// The padding is deliberate: the hot line (written on every section) and the
// cold part (retire lists, written by writers and collectors) are kept on
// separate cache lines.
struct alignas(64) thread_record {  // NOLINT(clang-analyzer-optin.performance.Padding)
  // ---- Hot line: written by the owning thread on every outermost section. ----

  // 0 when the thread is outside every read section; otherwise
  // (epoch << 1) | 1 where epoch is the global epoch the thread read on
  // entering. Only the owner stores, always with release so that a scanner's
  // acquire load orders everything the thread did before (ThreadSanitizer
  // sees reclamation as happening after the reader's last access through
  // this edge). Scanners load with acquire.
  std::atomic<std::uint64_t> state{0};

  // The presence gate (one per map) this thread is passing right now, or
  // null. Owner stores; size() scans. See presence_gate.hpp.
  std::atomic<const void*> transition{nullptr};

  // Bytes retired since the last collect(). Owner only. Set to kCollectBytes
  // for a transient record so its exit takes the slow path.
  std::size_t retired_bytes_since_collect = 0;

  // Pending bytes above which collect() waits for readers: kPressureBytes,
  // doubled each time a wait gives up (a reader that stays inside a section
  // costs one bounded wait per doubling of the garbage, not one per
  // collection), back to kPressureBytes once the pending bytes fall below it.
  // Owner only.
  std::size_t pressure_limit = kPressureBytes;

  // Cached asymmetric_fences_available(). Immutable after registration.
  bool asymmetric = true;

  // True while this thread runs collect(); a disposal that re-enters a map
  // does not collect recursively. Owner only.
  bool collecting = false;

  // True for a record claimed after the thread's exit handler already ran
  // (a map used from a late thread_local destructor): it is released at the
  // end of its outermost section instead of at thread exit. Owner only.
  bool transient = false;

  // ---- Cold part: retire lists, touched on writes and by collectors. ----

  // Guards buckets and freeable.
  alignas(64) spin_lock lock;

  // Nodes retired by this thread, by epoch modulo 3: a bucket whose epoch is
  // at least 2 behind the global epoch can be freed.
  retire_bucket buckets[3];

  // Nodes that no reader can reach any more, waiting to be disposed.
  node* freeable = nullptr;

  // The owner whose nodes (a batch taken off one record's freeable list) this
  // thread is disposing right now, or null. Set while holding the lock of the
  // record the batch was taken from, cleared (release) after the batch's
  // disposal; a draining owner waits until it differs.
  std::atomic<const owner*> disposing{nullptr};

  // True while a live thread owns the record. Claimed with an exchange
  // (acquire), released with a release store at thread exit.
  std::atomic<bool> in_use{false};

  // Next record of the registry. Immutable once the record is published.
  thread_record* next_record = nullptr;
};

// The global epoch. Advanced by one (seq_cst CAS) when every thread inside a
// read section has announced the current value; readers load it (acquire)
// once per outermost section. Alone on its cache line: it changes once per
// collection, and readers only read it.
struct alignas(64) epoch_clock {
  std::atomic<std::uint64_t> value{1};
};
inline epoch_clock global_epoch;

// The calling thread's record, or null before its first operation and after
// its exit handler ran. Constant-initialized, so access needs no TLS guard.
inline thread_local thread_record* tls_record = nullptr;

// The first record of the registry (every record ever allocated, linked by
// next_record). Records are never freed, so a traversal needs no protection.
thread_record* first_record() noexcept;

// Claims a record for the calling thread (allocating one if none is free)
// and arranges its release at thread exit. May throw std::bad_alloc.
SYNCMAP_NOINLINE thread_record* register_thread();

}  // namespace reclaim
}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_THREAD_RECORD_HPP_
