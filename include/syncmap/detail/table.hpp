// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The entry table: the hash index behind both the dirty map and the
// read-only snapshot (snapshot.hpp), Go's `map[any]*entry`.
//
// An open-addressing table with linear probing over a power-of-two array of
// slots, each {hash, entry pointer}. It is written for the lock-free read:
//   - a lookup is a few inline instructions: index = hash & mask, then
//     compare each slot's full hash until an empty slot; only a slot whose
//     hash matches has its entry dereferenced to compare the key, so a miss
//     or a probe past another key costs no load outside the slot array;
//   - growth moves slots and never dereferences an entry (the hash is in the
//     slot), so rehashing a million-key table is a sequential copy, not a
//     million cache misses;
//   - iteration walks one dense array.
//
// Why not absl::flat_hash_set<Entry*> (what the tables were before): its
// find() did not inline into the read path (GCC kept raw_hash_set::find out
// of line behind the call and its prologue), a probe had to dereference the
// entry for every tag match and growth for every entry (the hash lives in
// the entry), and in the Abseil of Debian 12 (20220623) a std::bad_alloc in
// raw_hash_set::resize() leaves the set corrupt. docs/performance.md has the
// figures before and after.
//
// Concurrency: a table is either the dirty map, touched only by the map
// mutex holder, or a published snapshot, which nothing modifies again
// (promotion publishes the dirty table unchanged and forgets it). So the
// slots are plain memory: the snapshot pointer's release store and acquire
// load (snapshot.hpp) order the mutex holder's writes before every read.
//
// Entries leave a table only when the whole table is replaced (promotion,
// clear()), so it has no tombstones: a probe ends at the first empty slot.

#ifndef SYNCMAP_DETAIL_TABLE_HPP_
#define SYNCMAP_DETAIL_TABLE_HPP_

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

#include "syncmap/detail/config.hpp"
#include "syncmap/detail/reclaim.hpp"

namespace syncmap {
namespace detail {

template <class Entry, class Equal>
class table : public reclaim::node {
 public:
  // One slot. entry == nullptr: empty (hash is then meaningless).
  struct slot {
    std::size_t hash;  // the entry's hash, as the map's hasher computed it
    Entry* entry;
  };

  // A table that takes `entries` entries without growing. Throws
  // std::bad_alloc if the slots cannot be allocated.
  table(std::size_t entries, const Equal& eq) : eq_(eq) { allocate(capacity_for(entries)); }

  table(const table&) = delete;
  table& operator=(const table&) = delete;
  ~table() { release(); }

  // The entry for `key`, whose hash is `hash`; nullptr if absent. May throw
  // what the user's KeyEqual throws. Inline: it is most of a load hit.
  template <class K>
  SYNCMAP_ALWAYS_INLINE Entry* find(const K& key, std::size_t hash) const {
    const slot* const slots = slots_;
    const std::size_t mask = mask_;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const slot& s = slots[i];
      // The load factor (at most kMaxLoadNum / kMaxLoadDen) leaves an empty
      // slot in every table, and the empty table probes kEmptySlot: the loop
      // ends.
      if (s.entry == nullptr) return nullptr;
      if (s.hash == hash && eq_(s.entry, key)) return s.entry;
    }
  }

  // Makes room for `n` more entries. Strong guarantee: on std::bad_alloc the
  // table is unchanged. Growth at least doubles the capacity (amortized O(1)
  // inserts) and leaves the table more than kMaxLoadNum / (2 * kMaxLoadDen)
  // full.
  void reserve_more(std::size_t n) {
    const std::size_t needed = size_ + n;
    if (needed <= insertable_without_growth(capacity_)) return;
    std::size_t bigger = capacity_for(needed);
    if (bigger < 2 * capacity_) bigger = 2 * capacity_;
    slot* const old = slots_;
    const std::size_t old_capacity = capacity_;
    allocate(bigger);  // may throw; then nothing changed
    // Re-place every slot: no entry is dereferenced (the slot has the hash),
    // nothing can throw.
    for (std::size_t i = 0; i < old_capacity; ++i) {
      if (old[i].entry != nullptr) place(old[i]);
    }
    if (old_capacity != 0) free_slots(old);
  }

  // Inserts an entry for a key the table lacks, after reserve_more() (or the
  // constructor) made room. Never throws and runs no user code.
  void insert_reserved(Entry* e) noexcept {
    place(slot{e->hash(), e});
    ++size_;
  }

  // Empties the table (the caller disposes of the entries) and frees a large
  // slot array, as absl's clear() does. Never throws.
  void clear() noexcept {
    if (capacity_ > kKeepOnClear) {
      release();
      set_empty();
    } else if (capacity_ != 0) {
      std::memset(static_cast<void*>(slots_), 0, capacity_ * sizeof(slot));
    }
    size_ = 0;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // The number of slots: 0 or a power of two.
  std::size_t capacity() const noexcept { return capacity_; }

  // Iterates the entries (Entry*), in slot order.
  class const_iterator {
   public:
    const_iterator(const slot* p, const slot* end) noexcept : p_(p), end_(end) { skip_empty(); }
    Entry* operator*() const noexcept { return p_->entry; }
    const_iterator& operator++() noexcept {
      ++p_;
      skip_empty();
      return *this;
    }
    bool operator==(const const_iterator& o) const noexcept { return p_ == o.p_; }
    bool operator!=(const const_iterator& o) const noexcept { return p_ != o.p_; }

   private:
    void skip_empty() noexcept {
      while (p_ != end_ && p_->entry == nullptr) ++p_;
    }
    const slot* p_;
    const slot* end_;
  };
  const_iterator begin() const noexcept { return {slots_, slots_ + capacity_}; }
  const_iterator end() const noexcept { return {slots_ + capacity_, slots_ + capacity_}; }

  // Calls f(e) for every entry, asking the CPU for each entry's first cache
  // line kPrefetchDistance entries early. The rebuild of the dirty map reads
  // every entry's state; the entries of a large map are spread over the heap
  // in hash order, so a plain walk waits out one cache miss per entry, one
  // after the other. A prefetch has no visible effect, so f sees exactly
  // what a plain walk would show.
  template <class F>
  void for_each_prefetched(F&& f) const {
    const_iterator ahead = begin();
    const const_iterator last = end();
    for (std::size_t i = 0; i < kPrefetchDistance && ahead != last; ++i, ++ahead) __builtin_prefetch(*ahead);
    for (const_iterator it = begin(); it != last; ++it) {
      if (ahead != last) {
        __builtin_prefetch(*ahead);
        ++ahead;
      }
      f(*it);
    }
  }

  // How many entries ahead for_each_prefetched() touches: enough misses in
  // flight to cover a memory latency of ~100 ns at a few ns per entry.
  static constexpr std::size_t kPrefetchDistance = 16;

  // The largest load: 3/4. Linear probing with the full hash in the slot
  // costs ~2.5 slots per hit and ~8.5 per miss at that load, 1.6 and 3 at
  // the average load growth leaves (between 3/8 and 3/4), within one or two
  // cache lines of 16-byte slots.
  static constexpr std::size_t kMaxLoadNum = 3;
  static constexpr std::size_t kMaxLoadDen = 4;

  // Entries a table of this capacity takes before it must grow.
  static constexpr std::size_t insertable_without_growth(std::size_t capacity) noexcept {
    return capacity / kMaxLoadDen * kMaxLoadNum;
  }

  // The capacity of the smallest non-empty table.
  static constexpr std::size_t kMinCapacity = 8;

  // The smallest capacity (0 or a power of two, at least kMinCapacity) that
  // takes `entries` entries.
  static constexpr std::size_t capacity_for(std::size_t entries) noexcept {
    if (entries == 0) return 0;
    std::size_t c = kMinCapacity;
    while (insertable_without_growth(c) < entries) c *= 2;
    return c;
  }

  // Bytes of the slot array of a table of this capacity.
  static constexpr std::size_t slot_bytes(std::size_t capacity) noexcept { return capacity * sizeof(slot); }

 private:
  // clear() keeps a slot array up to this size (4 KiB), frees a larger one.
  static constexpr std::size_t kKeepOnClear = 256;

  // Stores s in the first empty slot of its probe sequence. There is room.
  void place(const slot& s) noexcept {
    std::size_t i = s.hash & mask_;
    while (slots_[i].entry != nullptr) i = (i + 1) & mask_;
    slots_[i] = s;
  }

  // Points the table at a fresh array of `capacity` empty slots (or at
  // kEmptySlot for 0). Throws std::bad_alloc before changing anything.
  void allocate(std::size_t capacity) {
    if (capacity == 0) {
      set_empty();
      return;
    }
    // operator new (not calloc), so that allocation-failure tests can fail it.
    slot* const p = static_cast<slot*>(::operator new(slot_bytes(capacity)));
    std::memset(static_cast<void*>(p), 0, slot_bytes(capacity));
    slots_ = p;
    capacity_ = capacity;
    mask_ = capacity - 1;
  }

  void release() noexcept {
    if (capacity_ != 0) free_slots(slots_);
  }

  // Unsized: clang does not declare sized deallocation by default.
  static void free_slots(slot* p) noexcept { ::operator delete(static_cast<void*>(p)); }

  void set_empty() noexcept {
    slots_ = const_cast<slot*>(&kEmptySlot);  // NOLINT(cppcoreguidelines-pro-type-const-cast): never written
    capacity_ = 0;
    mask_ = 0;
  }

  // The one slot an empty table probes: a lookup needs no capacity check.
  static constexpr slot kEmptySlot{0, nullptr};

  // The slot array: capacity_ slots, or kEmptySlot when capacity_ == 0 (never
  // written then: insertable_without_growth(0) == 0, so an insert grows
  // first). Written only by the mutex holder before publication (see the file
  // comment); immutable afterwards.
  slot* slots_ = nullptr;
  // 0 or a power of two; mask_ == capacity_ - 1 (0 when empty).
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  // Occupied slots.
  std::size_t size_ = 0;
  // Compares an entry's key with a key (hash_policy.hpp). Immutable.
  const Equal eq_;
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_TABLE_HPP_
