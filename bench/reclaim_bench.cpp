// The cost of protecting one pointer load on the read path, by reclamation
// scheme: syncmap's read section against libcds's hazard pointers (HP), dynamic
// hazard pointers (DHP) and general-buffered URCU. docs/design.md §4 quotes it.
//
//   build/release/bench/reclaim_bench --benchmark_repetitions=5

#include <benchmark/benchmark.h>

#include <atomic>

#include <cds/gc/dhp.h>
#include <cds/gc/hp.h>
#include <cds/init.h>
#include <cds/urcu/general_buffered.h>

#include <syncmap/detail/reclaim.hpp>

namespace {

struct object {
  int value = 1;
};
object g_object;
std::atomic<object*> g_ptr{&g_object};

using urcu_gpb = cds::urcu::gc<cds::urcu::general_buffered<>>;

// libcds needs every thread attached to its GC singletons.
class cds_thread {
 public:
  cds_thread() { cds::threading::Manager::attachThread(); }
  ~cds_thread() { cds::threading::Manager::detachThread(); }
  cds_thread(const cds_thread&) = delete;
  cds_thread& operator=(const cds_thread&) = delete;
};

void BM_ProtectedLoad_syncmap_section(benchmark::State& state) {
  int sum = 0;
  for (auto _ : state) {
    const syncmap::detail::reclaim::section s;
    sum += g_ptr.load(std::memory_order_acquire)->value;
  }
  benchmark::DoNotOptimize(sum);
}

template <class GC>
void BM_ProtectedLoad_cds_guard(benchmark::State& state) {
  const cds_thread attached;
  int sum = 0;
  for (auto _ : state) {
    typename GC::Guard g;
    sum += g.protect(g_ptr)->value;
  }
  benchmark::DoNotOptimize(sum);
}

void BM_ProtectedLoad_cds_urcu_general_buffered(benchmark::State& state) {
  const cds_thread attached;
  int sum = 0;
  for (auto _ : state) {
    const urcu_gpb::scoped_lock lock;
    sum += g_ptr.load(std::memory_order_acquire)->value;
  }
  benchmark::DoNotOptimize(sum);
}

BENCHMARK(BM_ProtectedLoad_syncmap_section)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ProtectedLoad_cds_guard, cds::gc::HP)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ProtectedLoad_cds_guard, cds::gc::DHP)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_ProtectedLoad_cds_urcu_general_buffered)->ThreadRange(1, 2)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  cds::Initialize();
  {
    // The GC singletons must exist before any thread attaches.
    const cds::gc::HP hp;
    const cds::gc::DHP dhp;
    const urcu_gpb rcu;
    const cds_thread main_thread;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  cds::Terminate();
  return 0;
}
