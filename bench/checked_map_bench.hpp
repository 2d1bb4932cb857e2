// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// What checked_map costs against the bare container, per mode: find (hits),
// insert (new keys) and erase (present keys), single-threaded, for
// std::unordered_map<int64, int64> and absl::flat_hash_map<int64, int64>.
// docs/checked_map.md quotes the results.
//
//   build/bench/bench/checked_map_bench --benchmark_repetitions=9
//       --benchmark_report_aggregates_only=true      (one command line)
//   bench/checked_map_report.py build/bench/bench/checked_map_bench --runs 8
//       (the table in the docs: several processes, medians of the ratios)
//
// The rows of each mode are registered in a translation unit of their own
// (checked_map_bench_<mode>.cpp, all including this file): GCC's inliner
// budgets per translation unit, and with all modes in one it stopped
// inlining std::unordered_map's _M_erase into some loops (bare or checked,
// whichever came later), which moved the erase rows by 20 points. A user's
// translation unit holds one mode of a map type, as each of these does.
//
// Every row is a pair: the checked_map in the row's mode and the bare
// container, each with its own copy of the same keys, run batch for batch
// in the same benchmark iteration (alternating which goes first) and timed
// separately. The counters:
//
//   ns/op       the checked_map's time per operation
//   bare ns/op  the bare container's, measured alongside
//   ratio       checked / bare, over the whole run: what the row is for
//
// Measured this way, the load of a shared machine (which here changes a
// single row's time by 20-40% from one run to the next) falls on both sides
// of the ratio within microseconds of each other and mostly cancels; `off`
// (which compiles to the bare container) shows what is left of the noise.
//
// A batch is kBatch operations on a map holding N keys (the argument: 4096,
// cache-resident, where a lookup takes ~3-5 ns and any per-call work shows
// most; and 2^20, where lookups miss the cache as in a large real map). Each
// batch is its own out-of-line function per map type, so the two sides
// compile alike and apart. insert and erase restore the map between
// batches, untimed.

#ifndef SYNCMAP_BENCH_CHECKED_MAP_BENCH_HPP_
#define SYNCMAP_BENCH_CHECKED_MAP_BENCH_HPP_

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include <syncmap/checked_map.hpp>
#include "absl/container/flat_hash_map.h"

namespace {

constexpr std::int64_t kBatch = 1024;

using std_map = std::unordered_map<std::int64_t, std::int64_t>;
using absl_map = absl::flat_hash_map<std::int64_t, std::int64_t>;
template <class M>
using off = syncmap::checked_map<M, syncmap::check_mode::off>;
template <class M>
using sampled = syncmap::checked_map<M, syncmap::check_mode::sampled>;
template <class M>
using on = syncmap::checked_map<M, syncmap::check_mode::on>;

// Spreads consecutive indices over the key space (a bijection on [0, size),
// size a power of two).
inline std::int64_t key(std::int64_t i, std::int64_t size) { return (i * 2654435761LL) & (size - 1); }

template <class Map>
void fill(Map& m, std::int64_t from, std::int64_t to) {
  for (std::int64_t i = from; i < to; ++i) m.insert({i, i});
}

// ---- the batches: one operation kBatch times ----

// Hits, each result used: summed.
template <class Map>
SYNCMAP_NOINLINE std::int64_t find_batch(const Map& m, std::int64_t from, std::int64_t size) {
  std::int64_t sum = 0;
  for (std::int64_t b = 0; b < kBatch; ++b) {
    auto it = m.find(key(from + b, size));
    if (it != m.end()) sum += it->second;
  }
  return sum;
}

// The same lookups written the way Google Benchmark's documentation writes
// them, each result handed to benchmark::DoNotOptimize -- an opaque use that
// may read or write any memory, as a lookup's result that flows into the rest
// of a real program does. The compiler then reloads the container's fields
// for every lookup on both sides, where in find_batch the bare side keeps
// them in registers across the loop and a checked side (whose rare
// out-of-line calls may touch the map) cannot.
template <class Map>
SYNCMAP_NOINLINE std::int64_t find_escaping_batch(const Map& m, std::int64_t from, std::int64_t size) {
  for (std::int64_t b = 0; b < kBatch; ++b) {
    auto it = m.find(key(from + b, size));
    benchmark::DoNotOptimize(it);
  }
  return 0;
}

// kBatch new keys from `from` on.
template <class Map>
SYNCMAP_NOINLINE std::int64_t insert_batch(Map& m, std::int64_t from, std::int64_t) {
  for (std::int64_t b = 0; b < kBatch; ++b) m.insert({from + b, b});
  return 0;
}
template <class Map>
SYNCMAP_NOINLINE std::int64_t erase_batch(Map& m, std::int64_t from, std::int64_t) {
  for (std::int64_t b = 0; b < kBatch; ++b) m.erase(from + b);
  return 0;
}

// ---- one timed batch ----

enum class op { find, find_escaping, insert, erase };

using seconds = std::chrono::duration<double>;

// One batch of O on m, timed; insert and erase work on the keys size + i..,
// which the map does not hold otherwise: erase inserts them first and insert
// erases them afterwards, untimed.
template <op O, class Map>
double timed_batch(Map& m, std::int64_t i, std::int64_t size, std::int64_t& sink) {
  const std::int64_t fresh = size + i;
  if constexpr (O == op::erase) insert_batch(m, fresh, size);
  const auto t0 = std::chrono::steady_clock::now();
  if constexpr (O == op::find) {
    sink += find_batch(m, i, size);
  } else if constexpr (O == op::find_escaping) {
    sink += find_escaping_batch(m, i, size);
  } else if constexpr (O == op::insert) {
    sink += insert_batch(m, fresh, size);
  } else {
    sink += erase_batch(m, fresh, size);
  }
  const auto t1 = std::chrono::steady_clock::now();
  if constexpr (O == op::insert) erase_batch(m, fresh, size);
  return seconds(t1 - t0).count();
}

// A checked map and a bare one holding the same keys. Which of the two is
// allocated and filled first changes where their memory lands (for a large
// absl::flat_hash_map, measurably: `off` then reads up to +7%), so each
// row runs two pairs built in opposite orders and alternates between them.
template <class Map, class Bare>
struct map_pair {
  map_pair(std::int64_t size, bool checked_first) {
    if (checked_first) {
      checked = std::make_unique<Map>();
      fill(*checked, 0, size);
    }
    bare = std::make_unique<Bare>();
    fill(*bare, 0, size);
    if (!checked_first) {
      checked = std::make_unique<Map>();
      fill(*checked, 0, size);
    }
  }
  std::unique_ptr<Map> checked;
  std::unique_ptr<Bare> bare;
};

template <op O, class Map, class Bare>
void BM_Paired(benchmark::State& state) {
  const std::int64_t size = state.range(0);
  map_pair<Map, Bare> pairs[2] = {map_pair<Map, Bare>(size, true), map_pair<Map, Bare>(size, false)};
  std::int64_t i = 0;
  std::int64_t sink = 0;
  double t_checked = 0;
  double t_bare = 0;
  std::uint64_t round = 0;
  for (auto _ : state) {
    // The timed batches are the benchmark; the counters below use only the
    // batch timers, not the untimed set-up around them.
    map_pair<Map, Bare>& p = pairs[round & 1];
    if ((round & 2) == 0) {
      t_checked += timed_batch<O>(*p.checked, i, size, sink);
      t_bare += timed_batch<O>(*p.bare, i, size, sink);
    } else {
      t_bare += timed_batch<O>(*p.bare, i, size, sink);
      t_checked += timed_batch<O>(*p.checked, i, size, sink);
    }
    ++round;
    i += kBatch;
  }
  benchmark::DoNotOptimize(sink);
  const double ops = static_cast<double>(state.iterations()) * static_cast<double>(kBatch);
  state.counters["ns/op"] = t_checked * 1e9 / ops;
  state.counters["bare ns/op"] = t_bare * 1e9 / ops;
  state.counters["ratio"] = t_bare > 0 ? t_checked / t_bare : 0;
}

}  // namespace

// Registers the rows of one mode: find, find with escaping results, insert
// and erase, on both containers, at 4096 and 2^20 keys.
#define SYNCMAP_CHECKED_BENCH_ROW(name, o, map, label, mode) \
  BENCHMARK_TEMPLATE(BM_Paired, op::o, mode<map>, map)       \
      ->Name(#name "/" #label "/" #mode)                     \
      ->Arg(4096)                                            \
      ->Arg(1 << 20)
#define SYNCMAP_CHECKED_BENCH_ROWS(mode)                                                      \
  SYNCMAP_CHECKED_BENCH_ROW(Find, find, std_map, std_unordered_map, mode);                    \
  SYNCMAP_CHECKED_BENCH_ROW(FindEscaping, find_escaping, std_map, std_unordered_map, mode);   \
  SYNCMAP_CHECKED_BENCH_ROW(Insert, insert, std_map, std_unordered_map, mode);                \
  SYNCMAP_CHECKED_BENCH_ROW(Erase, erase, std_map, std_unordered_map, mode);                  \
  SYNCMAP_CHECKED_BENCH_ROW(Find, find, absl_map, absl_flat_hash_map, mode);                  \
  SYNCMAP_CHECKED_BENCH_ROW(FindEscaping, find_escaping, absl_map, absl_flat_hash_map, mode); \
  SYNCMAP_CHECKED_BENCH_ROW(Insert, insert, absl_map, absl_flat_hash_map, mode);              \
  SYNCMAP_CHECKED_BENCH_ROW(Erase, erase, absl_map, absl_flat_hash_map, mode)

#endif  // SYNCMAP_BENCH_CHECKED_MAP_BENCH_HPP_
