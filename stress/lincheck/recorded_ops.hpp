// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Runs one operation of a sync_map and records it for the checker: kind,
// key, arguments and result in an `operation`, stamped with now() just
// before the call and just after it returned. The one place that knows how
// each sync_map member maps onto an operation's fields; the stress harness
// (recorded_map), the unit tests (history_recorder) and the concurrent
// fuzzer all record through it.
//
//   auto push = [&log](const operation& op) { log.push_back(op); };
//   recorded_ops<map_type>::store(m, thread, k, v, push);
//
// Values reach the checker as int64 through value_codec<V>; specialize it
// (in this namespace) for a value type that is not an integer.

#ifndef SYNCMAP_STRESS_LINCHECK_RECORDED_OPS_HPP_
#define SYNCMAP_STRESS_LINCHECK_RECORDED_OPS_HPP_

#include <cstdint>
#include <optional>
#include <utility>

#include "history.hpp"

namespace syncmap_stress {
namespace lincheck {

// How a value type of the map maps to the checker's int64 values.
template <class V>
struct value_codec {
  static V make(value_t v) { return static_cast<V>(v); }
  static value_t get(const V& v) { return static_cast<value_t>(v); }
};

// Map is a syncmap::sync_map. Every member takes the recording thread's
// index and `log`, a callable that receives the finished record on the
// calling thread; each returns what the map returned, as int64 values.
template <class Map, class Codec = value_codec<typename Map::mapped_type>>
struct recorded_ops {
  using map_key = typename Map::key_type;

  template <class Log>
  static std::optional<value_t> load(Map& m, std::uint32_t thread, key_t k, Log&& log) {
    operation op = begin(op_kind::load, thread, k);
    return end_optional(op, m.load(static_cast<map_key>(k)), log);
  }
  template <class Log>
  static bool contains(Map& m, std::uint32_t thread, key_t k, Log&& log) {
    operation op = begin(op_kind::contains, thread, k);
    op.ok = m.contains(static_cast<map_key>(k));
    end(op, log);
    return op.ok;
  }
  template <class Log>
  static void store(Map& m, std::uint32_t thread, key_t k, value_t v, Log&& log) {
    operation op = begin(op_kind::store, thread, k);
    op.arg = v;
    m.store(static_cast<map_key>(k), Codec::make(v));
    end(op, log);
  }
  // Returns (actual, loaded).
  template <class Log>
  static std::pair<value_t, bool> load_or_store(Map& m, std::uint32_t thread, key_t k, value_t v, Log&& log) {
    operation op = begin(op_kind::load_or_store, thread, k);
    op.arg = v;
    const auto r = m.load_or_store(static_cast<map_key>(k), Codec::make(v));
    op.value = Codec::get(r.first);
    op.ok = r.second;
    end(op, log);
    return {op.value, op.ok};
  }
  template <class Log>
  static std::optional<value_t> load_and_delete(Map& m, std::uint32_t thread, key_t k, Log&& log) {
    operation op = begin(op_kind::load_and_delete, thread, k);
    return end_optional(op, m.load_and_delete(static_cast<map_key>(k)), log);
  }
  template <class Log>
  static bool erase(Map& m, std::uint32_t thread, key_t k, Log&& log) {
    operation op = begin(op_kind::erase, thread, k);
    op.ok = m.erase(static_cast<map_key>(k));
    end(op, log);
    return op.ok;
  }
  template <class Log>
  static std::optional<value_t> swap(Map& m, std::uint32_t thread, key_t k, value_t v, Log&& log) {
    operation op = begin(op_kind::swap, thread, k);
    op.arg = v;
    return end_optional(op, m.swap(static_cast<map_key>(k), Codec::make(v)), log);
  }
  template <class Log>
  static bool compare_and_swap(Map& m, std::uint32_t thread, key_t k, value_t expected, value_t v,
                               Log&& log) {
    operation op = begin(op_kind::compare_and_swap, thread, k);
    op.expected = expected;
    op.arg = v;
    op.ok = m.compare_and_swap(static_cast<map_key>(k), Codec::make(expected), Codec::make(v));
    end(op, log);
    return op.ok;
  }
  template <class Log>
  static bool compare_and_delete(Map& m, std::uint32_t thread, key_t k, value_t expected, Log&& log) {
    operation op = begin(op_kind::compare_and_delete, thread, k);
    op.expected = expected;
    op.ok = m.compare_and_delete(static_cast<map_key>(k), Codec::make(expected));
    end(op, log);
    return op.ok;
  }
  template <class Log>
  static void clear(Map& m, std::uint32_t thread, Log&& log) {
    operation op = begin(op_kind::clear, thread, 0);
    m.clear();
    end(op, log);
  }

 private:
  static operation begin(op_kind kind, std::uint32_t thread, key_t k) {
    operation op;
    op.kind = kind;
    op.key = k;
    op.thread = thread;
    op.invoke = now();
    return op;
  }
  template <class Log>
  static void end(operation& op, Log& log) {
    op.response = now();
    log(static_cast<const operation&>(op));
  }
  // Ends op, whose call returned r (a value or nothing), and returns r's
  // value as the checker sees it.
  template <class R, class Log>
  static std::optional<value_t> end_optional(operation& op, const R& r, Log& log) {
    op.ok = r.has_value();
    if (r) op.value = Codec::get(*r);
    end(op, log);
    return op.ok ? std::optional<value_t>(op.value) : std::nullopt;
  }
};

}  // namespace lincheck
}  // namespace syncmap_stress

#endif  // SYNCMAP_STRESS_LINCHECK_RECORDED_OPS_HPP_
