// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Example: a read-mostly lookup cache shared by a worker pool (Go's first
// sync.Map use case: "a key is written once and then read many times").
//
// A service-discovery cache maps service names to endpoints. A pool of
// worker threads looks an endpoint up on every request; one refresher thread
// republishes every endpoint from time to time (a new "generation" of the
// configuration) and now and then registers a new service. Lookups of a key
// already in the map take no lock and write no shared memory, so the workers
// do not slow each other down, however many there are.
//
// The program checks what the map promises and exits 0 only if all of it held:
//   1. Every endpoint a worker read was whole: all its fields belong to the
//      one generation it names (a value is replaced as a unit, never torn).
//   2. For each worker and service, generations never go backwards: a later
//      lookup never returns an older value than an earlier one did.
//   3. Once the refresher has finished, every worker finds every service at
//      the final generation.
//
// Note what is NOT promised: the refresher stores services one by one, so a
// worker may see service A at generation 7 and service B still at 6. If a
// whole configuration must switch at once, store it as one immutable object
// under one key (e.g. a std::shared_ptr<const config>).

#include <syncmap/sync_map.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct endpoint {
  std::uint64_t generation;
  std::string host;
  std::uint16_t port;
};

bool operator==(const endpoint& a, const endpoint& b) {
  return a.generation == b.generation && a.host == b.host && a.port == b.port;
}

constexpr int kInitialServices = 64;
constexpr int kMaxServices = 96;  // the refresher registers the rest over time
constexpr std::uint64_t kGenerations = 200;
constexpr int kWorkers = 4;
static_assert(kGenerations / 4 >= kMaxServices - kInitialServices, "the refresher registers every service");

std::string service_name(int i) { return "svc-" + std::to_string(i); }

// The endpoint of service i in generation g: deterministic, so a reader can
// tell whether a value it read is whole.
endpoint make_endpoint(int i, std::uint64_t g) {
  return {g, "10." + std::to_string(g % 256) + ".0." + std::to_string(i),
          static_cast<std::uint16_t>(1024 + (g * 31 + static_cast<std::uint64_t>(i)) % 50000)};
}

// What one worker saw; each worker writes only its own.
struct worker_report {
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::uint64_t torn = 0;          // check 1 failed
  std::uint64_t backwards = 0;     // check 2 failed
  std::uint64_t stale_at_end = 0;  // check 3 failed
};

}  // namespace

int main() {
  // The cache. Default hash is absl::Hash; no set-up, no thread registration.
  syncmap::sync_map<std::string, endpoint> cache;
  for (int i = 0; i < kInitialServices; ++i) cache.store(service_name(i), make_endpoint(i, 0));

  std::atomic<bool> refresher_done{false};
  std::vector<worker_report> reports(kWorkers);
  std::vector<std::thread> workers;
  workers.reserve(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&cache, &refresher_done, &report = reports[static_cast<std::size_t>(w)], w] {
      std::mt19937 rng(static_cast<unsigned>(w) + 1);
      std::uniform_int_distribution<int> pick(0, kMaxServices - 1);
      std::vector<std::uint64_t> last_seen(kMaxServices, 0);  // per service, for check 2
      // Serve "requests" until the refresher is done. The keys are strings
      // built per request, as a server parsing requests would have them.
      while (!refresher_done.load(std::memory_order_acquire)) {
        const int i = pick(rng);
        ++report.lookups;
        // visit() reads the value in place: no copy of the strings in it, no
        // lock, no shared write. (load() would return a std::optional copy.)
        cache.visit(service_name(i), [&](const endpoint& e) {
          ++report.hits;
          if (!(e == make_endpoint(i, e.generation))) ++report.torn;
          if (e.generation < last_seen[static_cast<std::size_t>(i)]) ++report.backwards;
          last_seen[static_cast<std::size_t>(i)] = e.generation;
        });
      }
      // Check 3: the refresher's last stores happened before it set
      // refresher_done, so every service is at the final generation now.
      for (int i = 0; i < kMaxServices; ++i) {
        const std::optional<endpoint> e = cache.load(service_name(i));
        if (!e || !(*e == make_endpoint(i, kGenerations))) ++report.stale_at_end;
      }
    });
  }

  // The one writer: republish every endpoint, generation after generation,
  // registering a new service every few generations.
  std::thread refresher([&cache, &refresher_done] {
    int services = kInitialServices;
    for (std::uint64_t g = 1; g <= kGenerations; ++g) {
      if (services < kMaxServices && g % 4 == 0) {
        // load_or_store: registers the service unless someone already did.
        cache.load_or_store(service_name(services), make_endpoint(services, g));
        ++services;
      }
      for (int i = 0; i < services; ++i) cache.store(service_name(i), make_endpoint(i, g));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    refresher_done.store(true, std::memory_order_release);
  });

  refresher.join();
  for (auto& t : workers) t.join();

  bool ok = true;
  std::uint64_t lookups = 0;
  for (int w = 0; w < kWorkers; ++w) {
    const worker_report& r = reports[static_cast<std::size_t>(w)];
    std::printf("worker %d: %llu lookups, %llu hits, torn %llu, backwards %llu, stale at end %llu\n", w,
                static_cast<unsigned long long>(r.lookups), static_cast<unsigned long long>(r.hits),
                static_cast<unsigned long long>(r.torn), static_cast<unsigned long long>(r.backwards),
                static_cast<unsigned long long>(r.stale_at_end));
    lookups += r.lookups;
    ok = ok && r.torn == 0 && r.backwards == 0 && r.stale_at_end == 0 && r.hits > 0;
  }

  // range() walks the map without blocking writers; size() counts it.
  std::uint64_t final_generation_entries = 0;
  cache.range([&](const std::string&, const endpoint& e) {
    if (e.generation == kGenerations) ++final_generation_entries;
  });
  ok = ok && cache.size() == kMaxServices && final_generation_entries == kMaxServices;

  std::printf("%zu services, %llu lookups by %d workers during %llu refreshes: %s\n", cache.size(),
              static_cast<unsigned long long>(lookups), kWorkers,
              static_cast<unsigned long long>(kGenerations),
              ok ? "every value whole, monotonic and final -- OK" : "FAILED");
  return ok ? 0 : 1;
}
