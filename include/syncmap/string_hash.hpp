// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// syncmap::string_hash: a transparent hash for string keys, so that a
// sync_map<std::string, V, string_hash, std::equal_to<>> can be searched with
// a std::string_view or a const char* without building a std::string:
//
//   syncmap::sync_map<std::string, int, syncmap::string_hash, std::equal_to<>> m;
//   m.store("k", 1);
//   std::string_view key = "k";
//   m.load(key);   // no allocation
//
// Every string type hashes through absl::Hash<absl::string_view>, so equal
// contents hash equally whatever the type. (This matters: with the Abseil
// shipped by Debian 12, absl::Hash<std::string_view> and
// absl::Hash<std::string> disagree on the same characters.)

#ifndef SYNCMAP_STRING_HASH_HPP_
#define SYNCMAP_STRING_HASH_HPP_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace syncmap {

struct string_hash {
  using is_transparent = void;

  std::size_t operator()(absl::string_view s) const noexcept { return absl::Hash<absl::string_view>{}(s); }
  std::size_t operator()(std::string_view s) const noexcept {
    return (*this)(absl::string_view(s.data(), s.size()));
  }
  std::size_t operator()(const std::string& s) const noexcept {
    return (*this)(absl::string_view(s.data(), s.size()));
  }
  std::size_t operator()(const char* s) const noexcept { return (*this)(absl::string_view(s)); }
};

}  // namespace syncmap

#endif  // SYNCMAP_STRING_HASH_HPP_
