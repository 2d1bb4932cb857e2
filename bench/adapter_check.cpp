// Checks that every adapter of adapters.hpp has Go's sync.Map semantics
// before bench/run times them: a sequential script of every operation, and
// two concurrent invariants (CAS counters; tokens moved by deletes and
// stores never duplicated or lost). Exits non-zero on the first failure.
//
//   build/bench/bench/adapter_check

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters.hpp"

namespace {

using bench::key_t;
using bench::value_t;

int g_failures = 0;

void expect(bool ok, const char* map, const std::string& what) {
  if (ok) return;
  ++g_failures;
  std::cerr << "adapter_check: " << map << ": " << what << "\n";
}

template <class M>
std::map<key_t, value_t> contents(M& m) {
  std::map<key_t, value_t> out;
  m.range([&out](key_t k, value_t v) {
    out.emplace(k, v);
    return true;
  });
  return out;
}

template <class M>
void sequential() {
  const char* n = M::kName;
  [[maybe_unused]] const typename M::thread_scope scope;
  M m(bench::map_options{});
  using opt = std::optional<value_t>;
  using pair = std::pair<value_t, bool>;

  expect(m.load(1) == std::nullopt, n, "load of a missing key");
  m.store(1, 10);
  expect(m.load(1) == opt(10), n, "load after store");
  expect(m.load_or_store(1, 11) == pair(10, true), n, "load_or_store of a present key");
  expect(m.load_or_store(2, 20) == pair(20, false), n, "load_or_store of a missing key");
  expect(m.swap(1, 12) == opt(10), n, "swap of a present key");
  expect(m.swap(3, 30) == std::nullopt, n, "swap of a missing key");
  expect(m.load(3) == opt(30), n, "load after swap");

  expect(!m.compare_and_swap(1, 99, 1), n, "compare_and_swap with a wrong old value");
  expect(m.compare_and_swap(1, 12, 13), n, "compare_and_swap with the right old value");
  expect(m.load(1) == opt(13), n, "load after compare_and_swap");
  expect(!m.compare_and_swap(4, 0, 0), n, "compare_and_swap of a missing key");
  expect(m.load(4) == std::nullopt, n, "compare_and_swap must not insert");

  expect(!m.compare_and_delete(1, 99), n, "compare_and_delete with a wrong old value");
  expect(m.compare_and_delete(1, 13), n, "compare_and_delete with the right old value");
  expect(m.load(1) == std::nullopt, n, "load after compare_and_delete");
  expect(!m.compare_and_delete(1, 13), n, "compare_and_delete of a deleted key");
  expect(m.swap(1, 14) == std::nullopt, n, "swap of a compare-deleted key");
  expect(m.load(1) == opt(14), n, "load after reviving a compare-deleted key");
  expect(m.compare_and_delete(1, 14), n, "second compare_and_delete");
  expect(m.load_or_store(1, 15) == pair(15, false), n, "load_or_store of a compare-deleted key");
  expect(m.compare_and_delete(1, 15), n, "third compare_and_delete");
  expect(m.load_and_delete(1) == std::nullopt, n, "load_and_delete of a compare-deleted key");
  expect(!m.erase(1), n, "erase of a deleted key");
  m.store(1, 16);
  expect(m.load(1) == opt(16), n, "store after load_and_delete");

  expect(m.load_and_delete(2) == opt(20), n, "load_and_delete of a present key");
  expect(m.load_and_delete(2) == std::nullopt, n, "second load_and_delete");
  expect(m.erase(3), n, "erase of a present key");
  expect(!m.erase(3), n, "second erase");

  for (key_t k = 100; k < 110; ++k) m.store(k, k * 2);
  std::map<key_t, value_t> want{{1, 16}};
  for (key_t k = 100; k < 110; ++k) want.emplace(k, k * 2);
  expect(contents(m) == want, n, "range visits every key once with its value");
  int visited = 0;
  m.range([&visited](key_t /*k*/, value_t /*v*/) {
    ++visited;
    return false;
  });
  expect(visited == 1, n, "range stops when f returns false");

  m.clear();
  expect(contents(m).empty(), n, "range after clear");
  expect(m.load(100) == std::nullopt, n, "load after clear");
  m.store(100, 1);
  expect(m.load(100) == opt(1), n, "store after clear");
}

constexpr int kThreads = 4;
constexpr key_t kKeys = 8;

// Every thread increments every key by load + compare_and_swap; no increment
// may be lost.
template <class M>
void cas_counters() {
  constexpr int kIncrements = 5000;
  [[maybe_unused]] const typename M::thread_scope scope;
  M m(bench::map_options{});
  for (key_t k = 0; k < kKeys; ++k) m.store(k, 0);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m] {
      [[maybe_unused]] const typename M::thread_scope s;
      for (int i = 0; i < kIncrements; ++i) {
        for (key_t k = 0; k < kKeys; ++k) {
          for (;;) {
            const value_t v = *m.load(k);
            if (m.compare_and_swap(k, v, v + 1)) break;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (key_t k = 0; k < kKeys; ++k) {
    expect(m.load(k) == std::optional<value_t>(kThreads * kIncrements), M::kName,
           "concurrent compare_and_swap lost an increment on key " + std::to_string(k));
  }
}

// Each key holds a unique token. Threads take tokens out (load_and_delete,
// or load + compare_and_delete) and put them back (load_or_store, store or
// swap) while another thread ranges and loads: a token must never be taken
// twice, and every token must be back at the end.
template <class M>
void token_moves() {
  constexpr int kRounds = 20000;
  [[maybe_unused]] const typename M::thread_scope scope;
  bench::map_options o;
  o.traversal_with_writers = true;
  M m(o);
  for (key_t k = 0; k < kKeys; ++k) m.store(k, 1000 + k);
  std::atomic<int> duplicates{0};
  std::atomic<bool> stop{false};
  std::vector<std::atomic<int>> held(kKeys);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      [[maybe_unused]] const typename M::thread_scope s;
      for (int i = 0; i < kRounds; ++i) {
        const key_t k = (i * 7 + t) % kKeys;
        std::optional<value_t> token;
        if ((i & 1) == 0) {
          token = m.load_and_delete(k);
        } else if (const auto v = m.load(k); v && m.compare_and_delete(k, *v)) {
          token = v;
        }
        if (!token) continue;
        if (held[k].fetch_add(1) != 0 || *token != 1000 + k) duplicates.fetch_add(1);
        held[k].fetch_sub(1);
        switch (i % 3) {
          case 0:
            if (m.load_or_store(k, *token).second) duplicates.fetch_add(1);
            break;
          case 1:
            if (m.swap(k, *token)) duplicates.fetch_add(1);
            break;
          default:
            m.store(k, *token);
        }
      }
    });
  }
  std::thread reader([&] {
    [[maybe_unused]] const typename M::thread_scope s;
    while (!stop.load()) {
      m.range([&](key_t k, value_t v) {
        if (v != 1000 + k) duplicates.fetch_add(1);
        return true;
      });
      for (key_t k = 0; k < kKeys; ++k) {
        if (const auto v = m.load(k); v && *v != 1000 + k) duplicates.fetch_add(1);
      }
    }
  });
  for (auto& t : threads) t.join();
  stop.store(true);
  reader.join();
  expect(duplicates.load() == 0, M::kName, "a token was taken twice or a wrong value seen");
  for (key_t k = 0; k < kKeys; ++k) {
    expect(m.load(k) == std::optional<value_t>(1000 + k), M::kName,
           "token of key " + std::to_string(k) + " lost");
  }
}

template <class M>
void check() {
  sequential<M>();
  cas_counters<M>();
  token_moves<M>();
  std::cout << "adapter_check: " << M::kName << (g_failures == 0 ? " ok" : " FAILED") << "\n";
}

}  // namespace

int main() {
  const bench::cds_runtime cds;
  check<bench::syncmap_map>();
  check<bench::std_shared_mutex_map>();
  check<bench::absl_mutex_map>();
  check<bench::tbb_map>();
  check<bench::libcuckoo_map>();
  check<bench::libcds_map>();
  if (g_failures != 0) {
    std::cerr << "adapter_check: " << g_failures << " failures\n";
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
