// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// libFuzzer target: the input decodes (ops.hpp) into operations split across
// 2 or 3 threads (the first byte picks how many; each operation's first
// byte picks its thread). The threads start together and record every call
// with invocation and response stamps; the per-key histories then go to the
// stress harness's linearizability checker (stress/lincheck). range() and
// size() are not linearizable operations and are checked for their own
// guarantees only (no key twice; a value shown was stored by someone).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <syncmap/sync_map.hpp>

#include "checker.hpp"
#include "history.hpp"
#include "ops.hpp"
#include "recorded_ops.hpp"

namespace {

namespace lc = syncmap_stress::lincheck;
using syncmap_fuzz::kind;
using map_type = syncmap::sync_map<std::int64_t, std::int64_t>;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_concurrent: %s\n", what);
  std::abort();
}

// Runs `o` on `m` as thread t, recording it (range and size are checked
// here and not recorded).
void run(map_type& m, const syncmap_fuzz::op& o, std::uint32_t t, std::vector<lc::operation>& log) {
  using ops = lc::recorded_ops<map_type>;
  const auto push = [&log](const lc::operation& r) { log.push_back(r); };
  switch (o.k) {
    case kind::load:
      ops::load(m, t, o.key, push);
      return;
    case kind::contains:
      ops::contains(m, t, o.key, push);
      return;
    case kind::store:
      ops::store(m, t, o.key, o.value, push);
      return;
    case kind::load_or_store:
      ops::load_or_store(m, t, o.key, o.value, push);
      return;
    case kind::load_and_delete:
      ops::load_and_delete(m, t, o.key, push);
      return;
    case kind::erase:
      ops::erase(m, t, o.key, push);
      return;
    case kind::swap:
      ops::swap(m, t, o.key, o.value + 1, push);
      return;
    case kind::compare_and_swap:
      ops::compare_and_swap(m, t, o.key, o.value, o.value + 2, push);
      return;
    case kind::compare_and_delete:
      ops::compare_and_delete(m, t, o.key, o.value, push);
      return;
    case kind::clear:
      ops::clear(m, t, push);
      return;
    case kind::range: {
      std::set<std::int64_t> seen;
      m.range([&seen](std::int64_t k, std::int64_t v) {
        if (!seen.insert(k).second) fail("range() visited a key twice");
        if (k < 0 || k >= syncmap_fuzz::kKeys || v < 0 || v > 10) {
          fail("range() showed a value nobody stored");
        }
      });
      return;
    }
    case kind::size:
      if (m.size() > syncmap_fuzz::kKeys) fail("size() exceeds the number of keys");
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned threads = 2 + data[0] % 2;
  const auto ops = syncmap_fuzz::decode(data + 1, size - 1, 600);
  std::vector<std::vector<syncmap_fuzz::op>> plan(threads);
  for (const auto& o : ops) plan[o.thread_byte % threads].push_back(o);

  map_type m;
  std::vector<std::vector<lc::operation>> logs(threads);
  std::atomic<unsigned> ready{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();  // start together
      for (const auto& o : plan[t]) run(m, o, t, logs[t]);
    });
  }
  for (auto& w : workers) w.join();

  std::vector<const std::vector<lc::operation>*> ptrs;
  ptrs.reserve(logs.size());
  for (const auto& l : logs) ptrs.push_back(&l);
  const lc::check_result r = lc::check_histories(ptrs, {}, 1);
  if (!r.linearizable) {
    std::fprintf(stderr, "fuzz_concurrent: key %lld is not linearizable: %s\n",
                 static_cast<long long>(r.first_violation->key), r.first_violation->explanation.c_str());
    for (const auto& o : r.first_violation->ops) std::fprintf(stderr, "  %s\n", lc::describe(o).c_str());
    std::abort();
  }
  return 0;
}
