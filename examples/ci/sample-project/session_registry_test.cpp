// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// A user's concurrent test, for examples/ci/self-test.sh: worker threads
// register and update their own sessions in a sync_map while a reader scans
// them. Built with SAMPLE_WITH_RACE the workers also bump a plain int shared
// by all of them -- a data race in the user's code, which the race gate must
// catch.

#include <syncmap/sync_map.hpp>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

namespace {
#if defined(SAMPLE_WITH_RACE)
int g_updates = 0;  // NOLINT: the race is the point
#endif
}  // namespace

int main() {
  constexpr int kWorkers = 4;
  constexpr int kUpdates = 2000;
  syncmap::sync_map<int, int> sessions;
  // Every thread starts only once all are running, so that they overlap.
  std::atomic<int> ready{0};
  auto start_together = [&ready] {
    ready.fetch_add(1);
    while (ready.load() < kWorkers + 1) std::this_thread::yield();
  };
  std::vector<std::thread> threads;
  threads.reserve(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&sessions, &start_together, w] {
      start_together();
#if defined(SAMPLE_WITH_RACE)
      // The bug: a statistics counter shared by all threads, unsynchronized.
      for (int i = 0; i < kUpdates; ++i) ++g_updates;
#endif
      for (int i = 1; i <= kUpdates; ++i) sessions.store(w, i);
    });
  }
  std::thread reader([&sessions, &start_together] {
    start_together();
    for (int i = 0; i < 200; ++i) {
      sessions.range([](const int&, const int&) {});
    }
  });
  for (auto& t : threads) t.join();
  reader.join();
  bool ok = sessions.size() == kWorkers;
  for (int w = 0; w < kWorkers; ++w) ok = ok && sessions.load(w) == kUpdates;
  std::printf("session_registry_test: %s\n", ok ? "passed" : "FAILED");
  return ok ? 0 : 1;
}
