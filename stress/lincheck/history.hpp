// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Recorded operations on a sync_map<int64, int64>: what the linearizability
// checker (checker.hpp) consumes and the stress harness produces.
//
// The sequential model of one key is an optional<value_t> (absent, or a
// value). Each kind, with the fields it uses and what the model requires:
//
//   kind                arguments          results           model: state s -> s'
//   load                -                  ok, value         ok == has(s); ok => value == *s
//   contains            -                  ok                ok == has(s)
//   store               arg                -                 s' = arg
//   load_or_store       arg                ok, value         has(s): ok, value == *s, s' = s
//                                                            else:   !ok, value == arg, s' = arg
//   load_and_delete     -                  ok, value         ok == has(s); ok => value == *s; s' = absent
//   erase               -                  ok                ok == has(s); s' = absent
//   swap                arg                ok, value         ok == has(s); ok => value == *s; s' = arg
//   compare_and_swap    expected, arg      ok                ok == (has(s) && *s == expected); ok => s' = arg
//   compare_and_delete  expected           ok                ok == (has(s) && *s == expected); ok => s' =
//   absent clear               - (no key)         -                 every key: s' = absent
//
// `clear` acts on every key; the checker projects it into each key's
// history (a necessary condition for linearizability of the whole history,
// not a sufficient one: see checker.hpp).

#ifndef SYNCMAP_STRESS_LINCHECK_HISTORY_HPP_
#define SYNCMAP_STRESS_LINCHECK_HISTORY_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace syncmap_stress {
namespace lincheck {

using key_t = std::int64_t;
using value_t = std::int64_t;

enum class op_kind : std::uint8_t {
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
};

const char* to_string(op_kind k) noexcept;

struct operation {
  // Stamps from now(): taken just before the call and just after it returned.
  // Operation a precedes operation b in real time iff a.response < b.invoke.
  std::uint64_t invoke = 0;
  std::uint64_t response = 0;
  key_t key = 0;         // unused for clear
  value_t arg = 0;       // store, swap, load_or_store: the value; compare_and_swap: the new value
  value_t expected = 0;  // compare_and_swap, compare_and_delete: the old value
  value_t value = 0;     // the result value, where the kind has one
  std::uint32_t thread = 0;
  op_kind kind = op_kind::load;
  bool ok = false;  // the result flag, where the kind has one
};

// A human-readable line: "T3 [1200,1350] swap(k=5, 7) -> (true, 4)".
std::string describe(const operation& op);

// A timestamp, monotonic and totally ordered across threads: if a call on
// one thread returns before another thread takes a stamp, the first stamp
// is smaller. Cheap (no shared write): the x86-64 TSC read with ordering
// fences, or steady_clock elsewhere.
std::uint64_t now() noexcept;

// The operations of one key, plus its state before the first of them.
struct key_history {
  key_t key = 0;
  std::optional<value_t> initial;  // absent if nullopt
  std::vector<operation> ops;      // any order; clear() already projected in
};

}  // namespace lincheck
}  // namespace syncmap_stress

#endif  // SYNCMAP_STRESS_LINCHECK_HISTORY_HPP_
