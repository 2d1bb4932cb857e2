// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// How the entry tables (snapshot and dirty map, table.hpp) hash and compare.
// They hold entry pointers but are searched by key:
//   - a key hashes with the user's Hash, mixed unless it is absl::Hash (which
//     mixes already): std::hash of integers and pointers is the identity,
//     and the table indexes its slots with the hash's low bits;
//   - an entry caches its key's hash and the table copies it into the slot,
//     so neither a rehash nor an insert calls the user's Hash (they cannot
//     throw, and cost no key hashing);
//   - an entry equals a key when the user's KeyEqual says so.

#ifndef SYNCMAP_DETAIL_HASH_POLICY_HPP_
#define SYNCMAP_DETAIL_HASH_POLICY_HPP_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "absl/hash/hash.h"

namespace syncmap {
namespace detail {

template <class Hash>
struct is_absl_hash : std::false_type {};
template <class T>
struct is_absl_hash<absl::Hash<T>> : std::true_type {};

template <class T, class = void>
struct is_transparent : std::false_type {};
template <class T>
struct is_transparent<T, std::void_t<typename T::is_transparent>> : std::true_type {};

// A multiply-xorshift finalizer: every input bit reaches the low bits (the
// table's slot index) and the high bits.
inline std::size_t mix_hash(std::size_t h) noexcept {
  std::uint64_t x = h;
  x ^= x >> 32;
  x *= 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29;
  return static_cast<std::size_t>(x);
}

// Hashes a key for the entry tables. (The tables never hash an entry: they
// copy its cached hash into its slot.)
template <class Hash>
class key_hasher {
 public:
  explicit key_hasher(const Hash& hash) : hash_(hash) {}

  template <class K>
  std::size_t operator()(const K& key) const {
    if constexpr (is_absl_hash<Hash>::value) {
      return hash_(key);
    } else {
      return mix_hash(static_cast<std::size_t>(hash_(key)));
    }
  }

  const Hash& user_hash() const noexcept { return hash_; }

 private:
  Hash hash_;
};

template <class Entry, class KeyEqual>
class entry_equal {
 public:
  explicit entry_equal(const KeyEqual& eq) : eq_(eq) {}

  template <class K>
  bool operator()(const Entry* e, const K& key) const {
    return eq_(e->key(), key);
  }

  const KeyEqual& user_equal() const noexcept { return eq_; }

 private:
  KeyEqual eq_;
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_HASH_POLICY_HPP_
