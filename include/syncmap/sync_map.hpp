// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// syncmap::sync_map: Go's sync.Map for C++.
//
// A concurrent map for two workloads (the ones Go's documentation names):
//   1. a key is written once and then read many times, as in caches that
//      only grow; and
//   2. threads read, write and overwrite disjoint sets of keys.
// For those, reads of a key already in the map take no lock and write no
// shared memory, so they scale with the number of cores. For write-heavy
// workloads, or many threads writing the same keys, a map guarded by a mutex
// (or a sharded one) is usually the better choice.
//
//   #include <syncmap/sync_map.hpp>
//
//   syncmap::sync_map<std::string, int> m;
//   m.store("a", 1);
//   if (auto v = m.load("a")) use(*v);             // std::optional<int>
//   auto [actual, loaded] = m.load_or_store("b", 2);
//   m.range([](const std::string& k, int v) { std::cout << k << v; });
//
// Guarantees (the same as Go's, restated for C++):
//   - Every member function may be called from any thread at any time, with
//     no set-up, no thread registration and no tear-down call: thread pools,
//     short-lived threads and thousands of threads over a process's life are
//     fine. The destructor, as for any C++ object, must not run concurrently
//     with another member function.
//   - Every operation but range() is linearizable. In Go's terms, a write
//     synchronizes with (happens before) any operation that observes it.
//   - range() visits no key twice, never visits a key that was absent for the
//     whole call, and may show any value a key had during the call.
//   - Value objects are constructed into the map by the writing operations
//     and destroyed exactly once: when no lock-free reader can still see
//     them, and at the latest by the map's destructor.
//   - Exceptions: if Hash, KeyEqual, a Key or Value constructor, or an
//     allocation throws, the operation has no effect, the exception reaches
//     the caller, and the map stays consistent and usable (no lock is left
//     held). Value's destructor must not throw. Hash, KeyEqual and Value's
//     special members must not call back into the same map; the range()
//     callback may call anything.
//
// Memory: deleted keys are kept, marked deleted, until the map's next
// promotion; their memory is reclaimed a little later. Memory a reader might
// still be reading is reclaimed once every read section that was open at the
// time has ended; a thread inside a range() callback delays reclamation for
// all maps until it returns. docs/design.md describes the design.

#ifndef SYNCMAP_SYNC_MAP_HPP_
#define SYNCMAP_SYNC_MAP_HPP_

#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/hash/hash.h"
#include "syncmap/detail/config.hpp"
#include "syncmap/detail/hash_policy.hpp"
#include "syncmap/detail/map_core.hpp"
#include "syncmap/detail/reclaim.hpp"

namespace syncmap {
namespace detail {
struct map_test_access;  // white-box access for the tests (test_access.hpp)
}  // namespace detail

template <class Key, class Value, class Hash = absl::Hash<Key>, class KeyEqual = std::equal_to<Key>>
class sync_map {
  // Heterogeneous lookup (a K other than Key) is enabled when both Hash and
  // KeyEqual declare is_transparent, as in the standard unordered containers.
  template <class K>
  using if_transparent =
      std::enable_if_t<detail::is_transparent<Hash>::value && detail::is_transparent<KeyEqual>::value &&
                           !std::is_same<std::decay_t<K>, Key>::value,
                       int>;

  using core_type = detail::map_core<Key, Value, Hash, KeyEqual>;
  using box_type = typename core_type::box_type;

  static constexpr bool kNothrowCopy = std::is_nothrow_copy_constructible<Value>::value;

 public:
  using key_type = Key;
  using mapped_type = Value;
  using hasher = Hash;
  using key_equal = KeyEqual;
  using size_type = std::size_t;

  // An empty map. Allocates nothing until the first store.
  sync_map() : sync_map(Hash(), KeyEqual()) {}

  // An empty map using the given hash and equality functors.
  explicit sync_map(const Hash& hash, const KeyEqual& equal = KeyEqual()) : core_(hash, equal) {}

  // Destroys every key and value still in the map, and every value replaced
  // or deleted earlier whose memory was not reclaimed yet. No other member
  // function may be running on this map.
  ~sync_map() = default;

  // Not copyable and not movable: other threads may hold the map's address.
  sync_map(const sync_map&) = delete;
  sync_map& operator=(const sync_map&) = delete;

  // Go's Load: the value stored for `key`, or std::nullopt if none.
  // Lock-free and without any shared write if `key` is in the read snapshot
  // (the common case for a key stored a while ago); otherwise takes the mutex
  // and counts a miss. Complexity: one hash lookup, O(1) on average.
  SYNCMAP_ALWAYS_INLINE std::optional<Value> load(const Key& key) const { return load_impl(key); }
  template <class K, if_transparent<K> = 0>
  SYNCMAP_ALWAYS_INLINE std::optional<Value> load(const K& key) const {
    return load_impl(key);
  }

  // Whether `key` has a value. As load(), without copying the value.
  SYNCMAP_ALWAYS_INLINE bool contains(const Key& key) const { return contains_impl(key); }
  template <class K, if_transparent<K> = 0>
  SYNCMAP_ALWAYS_INLINE bool contains(const K& key) const {
    return contains_impl(key);
  }

  // Calls f(const Value&) with the value stored for `key`, if any, without
  // copying it; returns whether it did. f runs with no lock held and may call
  // any member of this or another map; the reference is valid only during f.
  template <class F>
  bool visit(const Key& key, F&& f) const {
    return visit_impl(key, f);
  }
  template <class K, class F, if_transparent<K> = 0>
  bool visit(const K& key, F&& f) const {
    return visit_impl(key, f);
  }

  // Go's Store: sets the value for `key`. Lock-free if `key` is in the read
  // snapshot and not expunged; a new key takes the mutex and may rebuild the
  // dirty map, which is O(n) once per promotion (amortized O(1)).
  void store(const Key& key, Value value) {
    detail::reclaim::section s;
    core_.swap(s, key, std::move(value), [](const box_type*) {});
  }

  // Go's LoadOrStore: the existing value for `key` and true if present;
  // otherwise stores `value` and returns it with false. Same locking as
  // store(). Go's "actual, loaded" pair.
  std::pair<Value, bool> load_or_store(const Key& key, Value value) {
    detail::reclaim::section s;
    if constexpr (kNothrowCopy) {
      const auto res = core_.load_or_store(s, key, std::move(value), [](const box_type&) {});
      return {res.first->value, res.second};
    } else {
      // Copy the stored value before it is published, so that a throwing copy
      // leaves the map unchanged.
      std::optional<Value> stored;
      const auto res = core_.load_or_store(s, key, std::move(value),
                                           [&stored](const box_type& b) { stored.emplace(b.value); });
      if (res.second) return {res.first->value, true};
      return {std::move(*stored), false};
    }
  }

  // Go's LoadAndDelete: removes the value for `key` and returns it, or
  // std::nullopt if there was none. Lock-free if `key` is in the read
  // snapshot.
  std::optional<Value> load_and_delete(const Key& key) { return load_and_delete_impl(key); }
  template <class K, if_transparent<K> = 0>
  std::optional<Value> load_and_delete(const K& key) {
    return load_and_delete_impl(key);
  }

  // Go's Delete: removes the value for `key`. Returns true if a value was
  // removed; erasing a missing key is a no-op that returns false.
  bool erase(const Key& key) { return erase_impl(key); }
  template <class K, if_transparent<K> = 0>
  bool erase(const K& key) {
    return erase_impl(key);
  }

  // Go's Swap: stores `value` for `key` and returns the previous value, or
  // std::nullopt if there was none. Same locking as store().
  std::optional<Value> swap(const Key& key, Value value) {
    detail::reclaim::section s;
    if constexpr (kNothrowCopy) {
      const box_type* prev = core_.swap(s, key, std::move(value), [](const box_type*) {});
      return prev == nullptr ? std::nullopt : std::optional<Value>(prev->value);
    } else {
      // Copy the previous value before each CAS attempt, so that a throwing
      // copy leaves the map unchanged.
      std::optional<Value> prev;
      core_.swap(s, key, std::move(value), [&prev](const box_type* p) {
        if (p == nullptr) {
          prev.reset();
        } else {
          prev.emplace(p->value);
        }
      });
      return prev;
    }
  }

  // Go's CompareAndSwap: if the value for `key` equals `old_value`, replaces
  // it with `new_value` and returns true. A missing key never matches.
  // Requires `const Value& == const Value&` (only if called).
  bool compare_and_swap(const Key& key, const Value& old_value, Value new_value) {
    detail::reclaim::section s;
    return core_.compare_and_swap(s, key, old_value, std::move(new_value));
  }

  // Go's CompareAndDelete: if the value for `key` equals `old_value`, removes
  // it and returns true. A missing key never matches. Requires
  // `const Value& == const Value&` (only if called).
  bool compare_and_delete(const Key& key, const Value& old_value) {
    detail::reclaim::section s;
    return core_.compare_and_delete(s, key, old_value);
  }

  // Go's Range: calls f(const Key&, const Value&) for each key and value; f
  // returns bool (false stops the iteration) or void. No key is visited
  // twice; a key absent for the whole call is never visited; a value may be
  // any the key had during the call. f may call any member of this map
  // (range() and erasing the visited key included) or of another map.
  // Takes the mutex only to promote the dirty map first, if it has keys the
  // snapshot lacks. O(n) for the whole iteration, however early f stops.
  template <class F>
  void range(F&& f) const {
    auto call = [&f](const Key& k, const Value& v) -> bool {
      if constexpr (std::is_void<std::invoke_result_t<F&, const Key&, const Value&>>::value) {
        std::invoke(f, k, v);
        return true;
      } else {
        return static_cast<bool>(std::invoke(f, k, v));
      }
    };
    core_.range(call);
  }

  // Go's Clear: removes every key. Takes the mutex; O(n) bookkeeping.
  void clear() { core_.clear(); }

  // The number of keys. Exact when no thread writes concurrently; otherwise
  // the number of keys the map had at one instant during the call. O(n):
  // takes the mutex and briefly holds back writers that add or remove keys
  // (overwrites and reads proceed). Go's sync.Map has no such method; avoid
  // it on hot paths.
  std::size_t size() const {
    std::size_t n = 0;
    core_.for_each_live_at_one_instant([&n](const auto*) {
      ++n;
      return true;
    });
    return n;
  }

  // Whether the map has no key, at one instant during the call. O(1) and
  // lock-free when the map has never held a key or was just cleared;
  // otherwise as size(), stopping at the first key found.
  bool empty() const {
    if (core_.surely_empty()) return true;
    bool found = false;
    core_.for_each_live_at_one_instant([&found](const auto*) {
      found = true;
      return false;
    });
    return !found;
  }

  hasher hash_function() const { return core_.hash_function(); }
  key_equal key_eq() const { return core_.key_eq(); }

 private:
  friend struct detail::map_test_access;

  template <class K, class F>
  SYNCMAP_ALWAYS_INLINE bool visit_impl(const K& key, F& f) const {
    return core_.visit(key, [&f](const Value* v) {
      if (v == nullptr) return false;
      std::invoke(f, *v);
      return true;
    });
  }

  template <class K>
  SYNCMAP_ALWAYS_INLINE std::optional<Value> load_impl(const K& key) const {
    return core_.visit(key,
                       [](const Value* v) { return v == nullptr ? std::nullopt : std::optional<Value>(*v); });
  }

  template <class K>
  SYNCMAP_ALWAYS_INLINE bool contains_impl(const K& key) const {
    return core_.visit(key, [](const Value* v) { return v != nullptr; });
  }

  template <class K>
  std::optional<Value> load_and_delete_impl(const K& key) {
    detail::reclaim::section s;
    if constexpr (kNothrowCopy) {
      const box_type* b = core_.load_and_delete(s, key, [](const box_type*) { return true; });
      return b == nullptr ? std::nullopt : std::optional<Value>(b->value);
    } else {
      // Copy the value before the deleting CAS, so that a throwing copy leaves
      // the map unchanged.
      std::optional<Value> out;
      const box_type* b = core_.load_and_delete(s, key, [&out](const box_type* p) {
        out.emplace(p->value);
        return true;
      });
      if (b == nullptr) out.reset();
      return out;
    }
  }

  template <class K>
  bool erase_impl(const K& key) {
    detail::reclaim::section s;
    return core_.load_and_delete(s, key, [](const box_type*) { return true; }) != nullptr;
  }

  // Mutable: the const members (load, range, size, ...) promote the dirty
  // map and count misses, which is internal bookkeeping under the mutex.
  mutable core_type core_;
};

}  // namespace syncmap

#endif  // SYNCMAP_SYNC_MAP_HPP_
