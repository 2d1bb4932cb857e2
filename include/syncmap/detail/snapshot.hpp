// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The read-only snapshot: Go's readOnly, in C++.
//
// The dirty map is an entry table (table.hpp) only the mutex holder touches;
// promotion publishes that same table, unchanged, as the snapshot, after
// which nothing modifies it again: readers search it without any lock.
//
// The snapshot pointer packs the table address and Go's `amended` bit in one
// word, so a reader sees the table and the flag of the same instant.

#ifndef SYNCMAP_DETAIL_SNAPSHOT_HPP_
#define SYNCMAP_DETAIL_SNAPSHOT_HPP_

#include <atomic>
#include <cstdint>

namespace syncmap {
namespace detail {

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
