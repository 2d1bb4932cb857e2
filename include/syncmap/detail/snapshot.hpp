// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The entry table and the read-only snapshot: Go's readOnly, in C++.
//
// A table is a Swiss hash set of entry pointers searched by key. The dirty
// map is a table only the mutex holder touches; promotion publishes that same
// table, unchanged, as the snapshot, after which nothing modifies it again:
// readers search it without any lock.
//
// The snapshot pointer packs the table address and Go's `amended` bit in one
// word, so a reader sees the table and the flag of the same instant.

#ifndef SYNCMAP_DETAIL_SNAPSHOT_HPP_
#define SYNCMAP_DETAIL_SNAPSHOT_HPP_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "syncmap/detail/hash_policy.hpp"
#include "syncmap/detail/reclaim.hpp"

namespace syncmap {
namespace detail {

// A Swiss hash set of entry pointers, searched by key. It only ever grows:
// entries leave a table only when the whole table is replaced (promotion,
// clear()), so it holds no tombstones and its growth is predictable.
//
// Growth never calls absl's reserve() or lets an insert rehash: in the Abseil
// of Debian 12 (20220623), raw_hash_set::resize() records the new capacity
// before allocating, so a std::bad_alloc there leaves the set corrupt. A
// table instead grows by building a new set through the constructor (which
// either allocates or throws, leaving nothing behind) and moving the entry
// pointers into it, which cannot fail.
template <class Entry, class Hash, class KeyEqual>
class table : public reclaim::node {
 public:
  using set_type = absl::flat_hash_set<Entry*, entry_hasher<Entry, Hash>, entry_equal<Entry, KeyEqual>>;

  // A table with room for `entries` entries. May throw std::bad_alloc.
  table(std::size_t entries, const entry_hasher<Entry, Hash>& hash, const entry_equal<Entry, KeyEqual>& eq)
      : set(bucket_count_for(entries), hash, eq) {}

  // Finds the entry for `key`, whose hash (as the set's hasher computes it)
  // is `hash`; nullptr if absent. May throw what KeyEqual throws.
  template <class K>
  Entry* find(const K& key, std::size_t hash) const {
    const auto it = set.find(key, hash);
    return it == set.end() ? nullptr : *it;
  }

  // Makes room for `n` more entries. Strong guarantee: on std::bad_alloc the
  // table is unchanged.
  void reserve_more(std::size_t n) {
    const std::size_t needed = set.size() + n;
    if (needed <= insertable_without_growth(set.capacity())) return;
    // 1.5x: growth stays geometric (each growth at least doubles the
    // capacity, which absl rounds up to 2^k - 1), and a table is 44-88% full
    // as absl's own growth leaves it. Twice `needed` left snapshots 22-44%
    // full: Range walked three empty slots per key, and a 1M-key table took
    // 4M slots (measured in docs/performance.md).
    set_type bigger(bucket_count_for(needed + needed / 2), set.hash_function(), set.key_eq());  // may throw
    for_each_prefetched([&](Entry* e) { bigger.insert(e); });  // cannot throw: room made, no user code
    set.swap(bigger);
  }

  // Calls f(e) for every entry, asking the CPU for each entry's first cache
  // line kPrefetchDistance entries early. Growth reads every entry's cached
  // hash, and the rebuild of the dirty map every entry's state; the entries of
  // a large map are spread over the heap in hash order, so a plain walk waits
  // out one cache miss per entry, one after the other. A prefetch has no
  // visible effect, so f sees exactly what a plain walk would show.
  template <class F>
  void for_each_prefetched(F&& f) const {
    auto ahead = set.begin();
    const auto end = set.end();
    for (std::size_t i = 0; i < kPrefetchDistance && ahead != end; ++i, ++ahead) __builtin_prefetch(*ahead);
    for (auto it = set.begin(); it != end; ++it) {
      if (ahead != end) {
        __builtin_prefetch(*ahead);
        ++ahead;
      }
      f(*it);
    }
  }

  // Inserts an entry for a key the table lacks, after reserve_more() (or the
  // constructor) made room. Never throws: no allocation, and entries compare
  // by identity and hash by their cached hash, so no user code runs.
  void insert_reserved(Entry* e) noexcept { set.insert(e); }

  // How many entries ahead for_each_prefetched() touches: enough misses in
  // flight to cover a memory latency of ~100 ns at a few ns per entry.
  static constexpr std::size_t kPrefetchDistance = 16;

  // Entries an absl set of this capacity accepts before it would rehash,
  // conservatively: absl grows at 7/8 of the capacity (capacity - capacity/8
  // with 16-wide groups), and never below it for a set without tombstones.
  static constexpr std::size_t insertable_without_growth(std::size_t capacity) noexcept {
    return capacity * 7 / 8;
  }

  // A bucket count whose capacity accepts `entries` entries without growth.
  static constexpr std::size_t bucket_count_for(std::size_t entries) noexcept {
    return entries == 0 ? 0 : entries + entries / 6 + 2;
  }

  // As a snapshot: immutable. As the dirty map: guarded by the map mutex,
  // and changed only through reserve_more() and insert_reserved() (and
  // clear(), which does not allocate).
  set_type set;
};

template <class Table>
class snapshot_ptr {
 public:
  struct view {
    Table* table;  // may be null: the map never had a snapshot, or was cleared
    bool amended;  // the dirty map holds some key the table lacks
  };

  snapshot_ptr() = default;
  snapshot_ptr(const snapshot_ptr&) = delete;
  snapshot_ptr& operator=(const snapshot_ptr&) = delete;

  // acquire: pairs with store_locked(), so the table's contents, built by the
  // mutex holder before publication, are visible to the reader.
  view load() const noexcept { return unpack(word_.load(std::memory_order_acquire)); }

  // Publishes a table (or sets amended) while the map mutex is held. seq_cst:
  // replacing a table unlinks the old one, which is then retired (reclaim.hpp).
  void store_locked(Table* t, bool amended) noexcept {
    word_.store(reinterpret_cast<std::uintptr_t>(t) | (amended ? kAmended : 0), std::memory_order_seq_cst);
  }

  // The current view for the mutex holder: only it stores, so relaxed reads
  // its own (or an earlier holder's, ordered by the mutex) latest store.
  view load_locked() const noexcept { return unpack(word_.load(std::memory_order_relaxed)); }

 private:
  static constexpr std::uintptr_t kAmended = 1;
  static view unpack(std::uintptr_t w) noexcept {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the word holds a Table address.
    return {reinterpret_cast<Table*>(w & ~kAmended), (w & kAmended) != 0};
  }

  // Table address | amended bit. Stored only by the mutex holder.
  std::atomic<std::uintptr_t> word_{0};
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_SNAPSHOT_HPP_
