// Helpers that put a key of a sync_map into each state of the design, so
// that a test can state "X on a deleted key" in one line. Each helper checks
// (with test_access) that it reached the state it promises.

#ifndef SYNCMAP_TESTS_SUPPORT_MAP_STATES_HPP_
#define SYNCMAP_TESTS_SUPPORT_MAP_STATES_HPP_

#include <gtest/gtest.h>

#include <syncmap/detail/test_access.hpp>
#include <syncmap/sync_map.hpp>

namespace syncmap_test {

using syncmap::detail::entry_state;
using syncmap::detail::map_test_access;

// Makes dirty's keys part of the snapshot (range() promotes first).
template <class Map>
void promote(Map& m) {
  m.range([](const auto&, const auto&) { return false; });
  ASSERT_FALSE(map_test_access::shape(m).amended);
}

// key -> value, in the snapshot (no dirty map afterwards).
template <class Map, class K, class V>
void make_present_in_snapshot(Map& m, const K& key, const V& value) {
  m.store(key, value);
  promote(m);
  ASSERT_EQ(map_test_access::snapshot_state(m, key), entry_state::value);
}

// key only in the dirty map (the snapshot lacks it; it is amended).
template <class Map, class K, class V>
void make_dirty_only(Map& m, const K& key, const V& value) {
  m.store(key, value);
  ASSERT_EQ(map_test_access::snapshot_state(m, key), entry_state::absent);
  ASSERT_EQ(map_test_access::dirty_state(m, key), entry_state::value);
}

// key deleted, its entry nil in the snapshot (and no dirty map).
template <class Map, class K, class V>
void make_deleted(Map& m, const K& key, const V& value) {
  make_present_in_snapshot(m, key, value);
  ASSERT_TRUE(m.erase(key));
  ASSERT_EQ(map_test_access::snapshot_state(m, key), entry_state::nil);
  ASSERT_FALSE(map_test_access::shape(m).has_dirty);
}

// key deleted and expunged: nil in the snapshot when a new key (`filler`)
// made the map rebuild its dirty map, which left key out.
template <class Map, class K, class V>
void make_expunged(Map& m, const K& key, const V& value, const K& filler) {
  make_deleted(m, key, value);
  m.store(filler, value);
  ASSERT_EQ(map_test_access::snapshot_state(m, key), entry_state::expunged);
  ASSERT_EQ(map_test_access::dirty_state(m, key), entry_state::absent);
}

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_MAP_STATES_HPP_
