// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The entry: one key's slot, shared by the read-only snapshot and the dirty
// map, and the state machine of its value. Go's sync.entry, in C++.
//
// An entry's state is an atomic pointer p:
//
//   value     p points to a box holding the key's current value.
//   nil       p == nullptr: the key was deleted. If the dirty map exists, the
//             entry is in it (so a store can revive it without the lock).
//   expunged  p == expunged(): the key was deleted and the entry is NOT in
//             the dirty map (which exists). Only the mutex holder may move an
//             entry into or out of this state, and it puts the entry back
//             into the dirty map before un-expunging it.
//
//          store / swap / load_or_store (lock-free CAS, passes the gate)
//       +------------------------------------------------------+
//       |                                                      |
//       v        erase / load_and_delete / compare_and_delete  |
//    [value] ----------------------------------------------> [nil]
//     |   ^            (lock-free CAS, passes the gate)       |   ^
//     +---+                                                   |   |
//  store / swap / compare_and_swap        try_expunge_locked() |   | unexpunge_locked()
//  (lock-free CAS, no gate: the           (building a new      |   | (the entry is put
//   key stays present)                     dirty map)          v   |  back in dirty first)
//                                                         [expunged]
//
// docs/design.md draws the same machine and states the invariants it keeps.
//
// Every CAS here is seq_cst: a box a CAS replaces is retired afterwards, and
// retirement needs the unlink to be ordered before its epoch read
// (reclaim.hpp). On x86-64 a seq_cst CAS costs the same as any other.

#ifndef SYNCMAP_DETAIL_ENTRY_HPP_
#define SYNCMAP_DETAIL_ENTRY_HPP_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "syncmap/detail/presence_gate.hpp"
#include "syncmap/detail/reclaim.hpp"
#include "syncmap/detail/schedule_point.hpp"

namespace syncmap {
namespace detail {

// An immutable value, published by one CAS into an entry. Readers copy out of
// it inside a read section; it is retired when a CAS replaces it.
template <class Value>
class box : public reclaim::node {
 public:
  template <class... Args>
  explicit box(std::in_place_t, Args&&... args) : value(std::forward<Args>(args)...) {}

  const Value value;
};

template <class Key, class Value>
class entry : public reclaim::node {
 public:
  using box_type = box<Value>;

  // The expunged sentinel: never dereferenced, never a valid box address.
  static box_type* expunged() noexcept {
    return reinterpret_cast<box_type*>(std::uintptr_t{1});  // NOLINT(performance-no-int-to-ptr)
  }
  static bool holds_value(const box_type* p) noexcept { return p != nullptr && p != expunged(); }

  template <class K>
  entry(std::size_t hash, K&& key, box_type* initial)
      : p_(initial), hash_(hash), key_(std::forward<K>(key)) {}

  entry(const entry&) = delete;
  entry& operator=(const entry&) = delete;

  const Key& key() const noexcept { return key_; }
  std::size_t hash() const noexcept { return hash_; }

  // The current state. acquire: pairs with the CAS that published the box, so
  // the box's value is fully constructed for the reader.
  box_type* state() const noexcept { return p_.load(std::memory_order_acquire); }

  // ---- Lock-free transitions (Go's trySwap, tryLoadOrStore, ...). ----

  struct swap_result {
    bool swapped;        // false only if the entry is expunged
    box_type* previous;  // the replaced box, or nullptr if the entry was nil
  };

  // Go's trySwap: installs `desired` unless the entry is expunged. Under the
  // mutex on an entry known not to be expunged it is Go's swapLocked and
  // always swaps. `observe(p)` is called with the state about to be replaced
  // (a box or nullptr), before each CAS attempt; it may throw, in which case
  // nothing changed.
  template <class Observe>
  swap_result try_swap(box_type* desired, Observe&& observe, const presence_gate::ticket& t) {
    box_type* p = state();
    SYNCMAP_SCHEDULE_POINT(entry_loaded);
    for (;;) {
      if (p == expunged()) return {false, nullptr};
      observe(p);
      if (commit(p, desired, t)) return {true, p};
    }
  }

  enum class load_or_store_status { loaded, stored, expunged };
  struct load_or_store_result {
    load_or_store_status status;
    box_type* box;  // the loaded box, or the stored one
  };

  // Go's tryLoadOrStore: returns the present value, or stores the box made by
  // `make()` (called at most once, only if the entry is nil; it may throw)
  // unless the entry is expunged.
  template <class MakeBox>
  load_or_store_result try_load_or_store(MakeBox&& make, const presence_gate::ticket& t) {
    box_type* p = state();
    SYNCMAP_SCHEDULE_POINT(entry_loaded);
    if (p == expunged()) return {load_or_store_status::expunged, nullptr};
    if (p != nullptr) return {load_or_store_status::loaded, p};
    box_type* const desired = make();
    for (;;) {
      if (commit(p, desired, t)) return {load_or_store_status::stored, desired};
      if (p == expunged()) return {load_or_store_status::expunged, nullptr};
      if (p != nullptr) return {load_or_store_status::loaded, p};
    }
  }

  // Go's tryCompareAndSwap: replaces the value if `matches(value)`; the box
  // comes from `make()`, called at most once, after a first match. Returns
  // the replaced box, or nullptr if no present value matched. A value-to-
  // value change keeps the key present, so it does not pass the gate.
  template <class Matches, class MakeBox>
  box_type* try_compare_and_swap(Matches&& matches, MakeBox&& make, const presence_gate::ticket& t) {
    box_type* p = state();
    SYNCMAP_SCHEDULE_POINT(entry_loaded);
    if (!holds_value(p) || !matches(p->value)) return nullptr;
    box_type* const desired = make();
    for (;;) {
      if (commit(p, desired, t)) return p;
      if (!holds_value(p) || !matches(p->value)) return nullptr;
    }
  }

  // Go's delete and the loop of CompareAndDelete: sets the entry to nil if it
  // holds a value for which `accept(box)` returns true. `accept` runs before
  // each CAS attempt and may throw (nothing changed then). Returns the
  // removed box, or nullptr.
  template <class Accept>
  box_type* try_delete(Accept&& accept, const presence_gate::ticket& t) {
    box_type* p = state();
    SYNCMAP_SCHEDULE_POINT(entry_loaded);
    for (;;) {
      if (!holds_value(p) || !accept(p)) return nullptr;
      if (commit(p, nullptr, t)) return p;
    }
  }

  // ---- Transitions that need the map mutex held. ----

  // Go's tryExpungeLocked: nil becomes expunged. Returns whether the entry is
  // expunged afterwards. Called only while building a new dirty map.
  bool try_expunge_locked() noexcept {
    box_type* p = p_.load(std::memory_order_relaxed);
    while (p == nullptr) {
      // relaxed is enough: the expunged sentinel publishes no data, and the
      // mutex orders this with every other locked transition.
      if (p_.compare_exchange_weak(p, expunged(), std::memory_order_relaxed)) return true;
    }
    return p == expunged();
  }

  // Go's unexpungeLocked: expunged becomes nil. The caller has already put
  // the entry into the dirty map. Returns whether the entry was expunged.
  bool unexpunge_locked() noexcept {
    box_type* p = expunged();
    // Nothing else can leave the expunged state (it needs the mutex), so a
    // strong CAS fails only if the entry was not expunged.
    return p_.compare_exchange_strong(p, nullptr, std::memory_order_relaxed);
  }

  // Frees an entry nobody can reach any more, with the box it still holds.
  static void destroy(entry* e) noexcept {
    // relaxed: the caller's reclamation (or exclusive ownership) already
    // orders every other access to e before this one.
    box_type* p = e->p_.load(std::memory_order_relaxed);
    if (holds_value(p)) delete p;
    delete e;
  }

 private:
  // The single CAS through which every lock-free state change goes. On
  // failure `expected` is reloaded. A change between present and absent
  // (value <-> nil) passes the map's presence gate.
  bool commit(box_type*& expected, box_type* desired, const presence_gate::ticket& t) {
    SYNCMAP_SCHEDULE_POINT(entry_commit);
    const bool changes_presence = holds_value(expected) != holds_value(desired);
    if (!changes_presence) {
      return p_.compare_exchange_strong(expected, desired, std::memory_order_seq_cst,
                                        std::memory_order_acquire);
    }
    t.enter();
    const bool done =
        p_.compare_exchange_strong(expected, desired, std::memory_order_seq_cst, std::memory_order_acquire);
    t.leave();
    return done;
  }

  // The state (see the file comment). Written only by CAS; read with acquire.
  std::atomic<box_type*> p_;
  // The hash of key_ as the map's hasher computes it. Immutable; a table
  // copies it into the entry's slot on insertion (table.hpp), so the user's
  // Hash runs once per operation, never during an insertion or a rehash.
  const std::size_t hash_;
  // The key. Immutable.
  const Key key_;
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_ENTRY_HPP_
