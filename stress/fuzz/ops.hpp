// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The fuzzers' input format: three bytes per operation.
//
//   byte 0  kind = b % kKinds; for the concurrent target, also the thread:
//           (b / kKinds) % threads
//   byte 1  key = b % kKeys (few keys, so that operations meet on each key
//           and drive it through every entry state and promotion)
//   byte 2  value (an argument, or the expected value of a compare-and-*)
//
// Trailing bytes that do not make a whole operation are ignored; every input
// decodes to a valid sequence.

#ifndef SYNCMAP_STRESS_FUZZ_OPS_HPP_
#define SYNCMAP_STRESS_FUZZ_OPS_HPP_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace syncmap_fuzz {

enum class kind : std::uint8_t {
  load,
  contains,
  store,
  load_or_store,
  load_and_delete,
  erase,
  swap,
  compare_and_swap,
  compare_and_delete,
  clear,
  range,
  size,
};
constexpr unsigned kKinds = 12;
constexpr unsigned kKeys = 16;

struct op {
  kind k = kind::load;
  std::uint8_t thread_byte = 0;
  std::int64_t key = 0;
  std::int64_t value = 0;
};

inline std::vector<op> decode(const std::uint8_t* data, std::size_t size, std::size_t max_ops) {
  std::vector<op> out;
  for (std::size_t i = 0; i + 3 <= size && out.size() < max_ops; i += 3) {
    op o;
    o.k = static_cast<kind>(data[i] % kKinds);
    o.thread_byte = static_cast<std::uint8_t>(data[i] / kKinds);
    o.key = data[i + 1] % kKeys;
    o.value = data[i + 2] % 8;  // few values, so compare-and-* often match
    out.push_back(o);
  }
  return out;
}

}  // namespace syncmap_fuzz

#endif  // SYNCMAP_STRESS_FUZZ_OPS_HPP_
