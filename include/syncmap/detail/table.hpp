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
//     slot), so rehashing a million-key table is one pass over the old
//     slots, not a million cache misses on entries spread over the heap;
//   - iteration walks a dense array of the entries in insertion order, kept
//     beside the slots (8 bytes per entry of room), not the slots: no empty
//     slot to test (a branch the CPU mispredicts at random), and the
//     entries are visited in allocation order.
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
  // std::bad_alloc if its arrays cannot be allocated.
  table(std::size_t entries, const Equal& eq) : eq_(eq) {
    arrays a(capacity_for(entries));  // may throw
    adopt(a);
  }

  table(const table&) = delete;
  table& operator=(const table&) = delete;
  ~table() { arrays::release(slots_, capacity_); }

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
    arrays a(bigger);  // may throw; then nothing changed
    // From here nothing can throw. Re-place every slot (no entry is
    // dereferenced: the slot has the hash) and copy the entry order.
    for (std::size_t i = 0; i < capacity_; ++i) {
      if (slots_[i].entry != nullptr) place(a.slots, a.mask(), slots_[i]);
    }
    if (size_ != 0) std::memcpy(static_cast<void*>(a.order), order_, size_ * sizeof(Entry*));
    arrays::release(slots_, capacity_);
    adopt(a);
  }

  // Inserts an entry for a key the table lacks, after reserve_more() (or the
  // constructor) made room. Never throws and runs no user code.
  void insert_reserved(Entry* e) noexcept {
    place(slots_, mask_, slot{e->hash(), e});
    order_[size_++] = e;
  }

  // Empties the table (the caller disposes of the entries) and frees large
  // arrays, as absl's clear() does. Never throws.
  void clear() noexcept {
    if (capacity_ > kKeepOnClear) {
      arrays::release(slots_, capacity_);
      arrays none(0);  // allocates nothing
      adopt(none);
    } else if (capacity_ != 0) {
      std::memset(static_cast<void*>(slots_), 0, capacity_ * sizeof(slot));
    }
    size_ = 0;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // The number of slots: 0 or a power of two.
  std::size_t capacity() const noexcept { return capacity_; }

  // The entries (Entry*) in the order they were inserted: a dense array, so
  // iteration (range(), the rebuild of the dirty map, size()) visits exactly
  // the entries, with no empty slot to test, and in allocation order, which
  // is usually address order.
  Entry* const* begin() const noexcept { return order_; }
  Entry* const* end() const noexcept { return order_ + size_; }

  // Calls f(e) for every entry, asking the CPU for each entry's first cache
  // line kPrefetchDistance entries early. The rebuild of the dirty map reads
  // every entry's state, and a plain walk of a large map waits out one cache
  // miss per entry, one after the other. A prefetch has no visible effect, so
  // f sees exactly what a plain walk would show.
  template <class F>
  void for_each_prefetched(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) {
      if (i + kPrefetchDistance < size_) __builtin_prefetch(order_[i + kPrefetchDistance]);
      f(order_[i]);
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

  // Bytes of the arrays of a table of this capacity: its slots and its entry
  // order (room for insertable_without_growth(capacity) entries).
  static constexpr std::size_t array_bytes(std::size_t capacity) noexcept {
    return capacity * sizeof(slot) + insertable_without_growth(capacity) * sizeof(Entry*);
  }

 private:
  // clear() keeps arrays of up to this many slots (4 KiB), frees larger ones.
  static constexpr std::size_t kKeepOnClear = 256;

  // A table's two arrays in one block of array_bytes(capacity), owned until
  // adopt() takes them: the slots (zeroed: every slot empty), then the entry
  // order (16-byte slots keep it aligned). Allocation throws std::bad_alloc
  // before anything is owned; operator new, so that allocation-failure tests
  // can fail it.
  struct arrays {
    static_assert(sizeof(slot) % alignof(Entry*) == 0, "the entry order follows the slots aligned");

    explicit arrays(std::size_t cap) : capacity(cap) {
      if (cap == 0) return;
      slots = static_cast<slot*>(::operator new(array_bytes(cap)));
      std::memset(static_cast<void*>(slots), 0, cap * sizeof(slot));
      order = reinterpret_cast<Entry**>(slots + cap);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    }
    arrays(const arrays&) = delete;
    arrays& operator=(const arrays&) = delete;
    ~arrays() { release(slots, capacity); }

    std::size_t mask() const noexcept { return capacity == 0 ? 0 : capacity - 1; }

    // Frees the block whose slots start at s (nothing for capacity 0).
    // Unsized delete: clang does not declare sized deallocation by default.
    static void release(slot* s, std::size_t cap) noexcept {
      if (cap != 0) ::operator delete(static_cast<void*>(s));
    }

    std::size_t capacity;
    slot* slots = nullptr;
    Entry** order = nullptr;
  };

  // Takes a's arrays (a then owns none). Never throws.
  void adopt(arrays& a) noexcept {
    capacity_ = a.capacity;
    mask_ = a.mask();
    // The empty table probes kEmptySlot: find() needs no capacity check.
    slots_ = a.capacity == 0 ? const_cast<slot*>(&kEmptySlot)
                             : a.slots;  // NOLINT(cppcoreguidelines-pro-type-const-cast): never written
    order_ = a.order;
    a.capacity = 0;
    a.slots = nullptr;
    a.order = nullptr;
  }

  // Stores s in the first empty slot of its probe sequence. There is room.
  static void place(slot* slots, std::size_t mask, const slot& s) noexcept {
    std::size_t i = s.hash & mask;
    while (slots[i].entry != nullptr) i = (i + 1) & mask;
    slots[i] = s;
  }

  // The one slot an empty table probes: a lookup needs no capacity check.
  static constexpr slot kEmptySlot{0, nullptr};

  // The slot array: capacity_ slots, or kEmptySlot when capacity_ == 0 (never
  // written then: insertable_without_growth(0) == 0, so an insert grows
  // first). Written only by the mutex holder before publication (see the file
  // comment); immutable afterwards.
  slot* slots_ = nullptr;
  // The entries in insertion order: size_ of them, room for
  // insertable_without_growth(capacity_); null when capacity_ == 0. Written
  // and published as slots_ is.
  Entry** order_ = nullptr;
  // 0 or a power of two; mask_ == capacity_ - 1 (0 when empty).
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  // Entries in the table.
  std::size_t size_ = 0;
  // Compares an entry's key with a key (hash_policy.hpp). Immutable.
  const Equal eq_;
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_TABLE_HPP_
