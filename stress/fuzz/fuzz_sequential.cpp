// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// libFuzzer target: the input decodes (ops.hpp) into a sequence of
// operations applied to a sync_map and to a std::map model; every result,
// and the contents after each range(), must agree. Misses on absent keys,
// new keys after deletions and range() drive the map through promotion, the
// dirty rebuild and expunging.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <syncmap/sync_map.hpp>

#include "ops.hpp"

namespace {

[[noreturn]] void fail(std::size_t i, const char* what) {
  std::fprintf(stderr, "fuzz_sequential: operation %zu: %s disagrees with the model\n", i, what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using syncmap_fuzz::kind;
  syncmap::sync_map<std::int64_t, std::int64_t> m;
  std::map<std::int64_t, std::int64_t> model;
  const auto ops = syncmap_fuzz::decode(data, size, 4096);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& o = ops[i];
    const auto it = model.find(o.key);
    const bool present = it != model.end();
    switch (o.k) {
      case kind::load: {
        const auto v = m.load(o.key);
        if (v.has_value() != present || (present && *v != it->second)) fail(i, "load");
        break;
      }
      case kind::contains:
        if (m.contains(o.key) != present) fail(i, "contains");
        break;
      case kind::store:
        m.store(o.key, o.value);
        model[o.key] = o.value;
        break;
      case kind::load_or_store: {
        const auto r = m.load_or_store(o.key, o.value);
        if (r.second != present || r.first != (present ? it->second : o.value)) fail(i, "load_or_store");
        if (!present) model[o.key] = o.value;
        break;
      }
      case kind::load_and_delete: {
        const auto v = m.load_and_delete(o.key);
        if (v.has_value() != present || (present && *v != it->second)) fail(i, "load_and_delete");
        model.erase(o.key);
        break;
      }
      case kind::erase:
        if (m.erase(o.key) != present) fail(i, "erase");
        model.erase(o.key);
        break;
      case kind::swap: {
        const auto v = m.swap(o.key, o.value + 1);
        if (v.has_value() != present || (present && *v != it->second)) fail(i, "swap");
        model[o.key] = o.value + 1;
        break;
      }
      case kind::compare_and_swap: {
        const bool match = present && it->second == o.value;
        if (m.compare_and_swap(o.key, o.value, o.value + 2) != match) fail(i, "compare_and_swap");
        if (match) it->second = o.value + 2;
        break;
      }
      case kind::compare_and_delete: {
        const bool match = present && it->second == o.value;
        if (m.compare_and_delete(o.key, o.value) != match) fail(i, "compare_and_delete");
        if (match) model.erase(it);
        break;
      }
      case kind::clear:
        m.clear();
        model.clear();
        break;
      case kind::range: {
        std::map<std::int64_t, std::int64_t> seen;
        bool twice = false;
        m.range([&](std::int64_t k, std::int64_t v) { twice |= !seen.emplace(k, v).second; });
        if (twice || seen != model) fail(i, "range");
        break;
      }
      case kind::size:
        if (m.size() != model.size() || m.empty() != model.empty()) fail(i, "size/empty");
        break;
    }
  }
  return 0;
}
