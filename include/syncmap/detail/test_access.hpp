// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// White-box access to a sync_map's internal state, for the tests that pin
// down the design (entry states, promotion, the amended flag). Not part of
// the API: nothing in the library uses it.

#ifndef SYNCMAP_DETAIL_TEST_ACCESS_HPP_
#define SYNCMAP_DETAIL_TEST_ACCESS_HPP_

#include <cstddef>

#include "syncmap/sync_map.hpp"

namespace syncmap {
namespace detail {

enum class entry_state { absent, value, nil, expunged };

struct map_shape {
  bool has_snapshot = false;
  std::size_t snapshot_entries = 0;  // entries in the snapshot table, deleted ones included
  bool amended = false;
  bool has_dirty = false;
  std::size_t dirty_entries = 0;
  std::size_t dirty_room = 0;  // entries dirty takes before it must grow
  std::size_t misses = 0;
};

struct map_test_access {
  template <class Map>
  static map_shape shape(const Map& m) {
    map_shape out;
    m.core_.inspect_locked_state([&](auto view, auto* dirty, std::size_t misses) {
      out.has_snapshot = view.table != nullptr;
      out.snapshot_entries = view.table == nullptr ? 0 : view.table->size();
      out.amended = view.amended;
      out.has_dirty = dirty != nullptr;
      out.dirty_entries = dirty == nullptr ? 0 : dirty->size();
      out.dirty_room = dirty == nullptr ? 0 : dirty->insertable_without_growth(dirty->capacity());
      out.misses = misses;
    });
    return out;
  }

  // The state of key's entry in the snapshot (absent if not there).
  template <class Map, class K>
  static entry_state snapshot_state(const Map& m, const K& key) {
    entry_state out = entry_state::absent;
    m.core_.inspect_locked_state([&](auto view, auto*, std::size_t) { out = state_in(m, view.table, key); });
    return out;
  }

  // The state of key's entry in the dirty map (absent if not there or no dirty map).
  template <class Map, class K>
  static entry_state dirty_state(const Map& m, const K& key) {
    entry_state out = entry_state::absent;
    m.core_.inspect_locked_state([&](auto, auto* dirty, std::size_t) { out = state_in(m, dirty, key); });
    return out;
  }

  // Whether key's snapshot entry and dirty entry are the same object.
  template <class Map, class K>
  static bool entry_shared(const Map& m, const K& key) {
    bool out = false;
    m.core_.inspect_locked_state([&](auto view, auto* dirty, std::size_t) {
      auto* a = find(m, view.table, key);
      auto* b = find(m, dirty, key);
      out = a != nullptr && a == b;
    });
    return out;
  }

 private:
  template <class Map, class Table, class K>
  static auto* find(const Map& m, const Table* t, const K& key) {
    using entry_ptr = decltype(t->find(key, 0));
    if (t == nullptr) return static_cast<entry_ptr>(nullptr);
    typename Map::core_type::hasher_type h(m.core_.hash_function());
    return t->find(key, h(key));
  }

  template <class Map, class Table, class K>
  static entry_state state_in(const Map& m, const Table* t, const K& key) {
    auto* e = find(m, t, key);
    if (e == nullptr) return entry_state::absent;
    auto* p = e->state();
    using entry_type = std::remove_pointer_t<decltype(e)>;
    if (p == nullptr) return entry_state::nil;
    if (p == entry_type::expunged()) return entry_state::expunged;
    return entry_state::value;
  }
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_TEST_ACCESS_HPP_
