// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).

#include "noise.hpp"

#include <atomic>
#include <cstdint>
#include <thread>

#include <syncmap/detail/schedule_point.hpp>

namespace syncmap_stress {
namespace {

// splitmix64: seeds and steps the per-thread generators.
std::uint64_t splitmix(std::uint64_t& s) noexcept {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The configuration, written before threads start (install_noise), read by
// them afterwards: plain atomics, relaxed (no data published through them).
std::atomic<std::uint64_t> g_threshold{0};  // probability * 2^32
std::atomic<unsigned> g_max_spin{0};
std::atomic<std::uint64_t> g_injected{0};

thread_local std::uint64_t t_state = 0;
thread_local bool t_seeded = false;

#if defined(SYNCMAP_SCHEDULE_POINTS)
std::uint64_t next_random() noexcept {
  if (!t_seeded) {
    t_state = reinterpret_cast<std::uintptr_t>(&t_state);
    t_seeded = true;
  }
  return splitmix(t_state);
}

void hook(syncmap::detail::point /*unused*/) noexcept {
  const std::uint64_t r = next_random();
  if ((r & 0xFFFFFFFFULL) >= g_threshold.load(std::memory_order_relaxed)) return;
  g_injected.fetch_add(1, std::memory_order_relaxed);
  if ((r >> 32) & 1U) {
    std::this_thread::yield();
    return;
  }
  const unsigned max_spin = g_max_spin.load(std::memory_order_relaxed);
  const std::uint64_t spins = max_spin == 0 ? 0 : (r >> 33) % max_spin;
  for (std::uint64_t i = 0; i < spins; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}
#endif

}  // namespace

bool schedule_points_available() noexcept {
#if defined(SYNCMAP_SCHEDULE_POINTS)
  return true;
#else
  return false;
#endif
}

void install_noise(const noise_config& config) noexcept {
  const double p = config.probability < 0 ? 0 : (config.probability > 1 ? 1 : config.probability);
  g_threshold.store(static_cast<std::uint64_t>(p * 4294967296.0), std::memory_order_relaxed);
  g_max_spin.store(config.max_spin, std::memory_order_relaxed);
#if defined(SYNCMAP_SCHEDULE_POINTS)
  syncmap::detail::set_schedule_hook(p > 0 ? &hook : nullptr);
#endif
}

void uninstall_noise() noexcept {
#if defined(SYNCMAP_SCHEDULE_POINTS)
  syncmap::detail::set_schedule_hook(nullptr);
#endif
}

void seed_noise_for_this_thread(std::uint64_t seed, std::uint64_t thread_index) noexcept {
  std::uint64_t s = seed ^ (0xA5A5A5A5ULL + thread_index * 0x9E3779B97F4A7C15ULL);
  t_state = splitmix(s);
  t_seeded = true;
}

std::uint64_t injected_delays() noexcept { return g_injected.load(std::memory_order_relaxed); }

}  // namespace syncmap_stress
