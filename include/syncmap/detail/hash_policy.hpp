// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// How the entry sets (snapshot and dirty map) hash and compare. They hold
// entry pointers but are searched by key:
//   - an entry hashes to the hash cached in it, so a rehash never calls the
//     user's Hash (it cannot throw, and costs no key hashing);
//   - a key hashes with the user's Hash, mixed unless it is absl::Hash (which
//     mixes already): std::hash of integers and pointers is the identity,
//     whose low bits the Swiss table uses as its 7-bit tag;
//   - two entries are equal only if they are the same entry (a set never
//     holds two entries for one key), so inserting an entry runs no user code;
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

// A multiply-xorshift finalizer: every input bit reaches the low 7 bits
// (the Swiss table's tag) and the high bits (its probe start).
inline std::size_t mix_hash(std::size_t h) noexcept {
  std::uint64_t x = h;
  x ^= x >> 32;
  x *= 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29;
  return static_cast<std::size_t>(x);
}

// Excludes entry pointers from the key overloads below (an Entry* would
// otherwise match `const K&` better than `const Entry*`).
template <class K, class Entry>
using if_key = std::enable_if_t<!std::is_convertible<const K&, const Entry*>::value, int>;

template <class Entry, class Hash>
class entry_hasher {
 public:
  using is_transparent = void;

  explicit entry_hasher(const Hash& hash) : hash_(hash) {}

  std::size_t operator()(const Entry* e) const noexcept { return e->hash(); }

  template <class K, if_key<K, Entry> = 0>
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
  using is_transparent = void;

  explicit entry_equal(const KeyEqual& eq) : eq_(eq) {}

  bool operator()(const Entry* a, const Entry* b) const noexcept { return a == b; }

  template <class K, if_key<K, Entry> = 0>
  bool operator()(const Entry* e, const K& key) const {
    return eq_(e->key(), key);
  }
  template <class K, if_key<K, Entry> = 0>
  bool operator()(const K& key, const Entry* e) const {
    return eq_(key, e->key());
  }

  const KeyEqual& user_equal() const noexcept { return eq_; }

 private:
  KeyEqual eq_;
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_HASH_POLICY_HPP_
