// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Schedule noise: the hook the harness installs at the library's schedule
// points (syncmap/detail/schedule_point.hpp). At each point a thread, with
// a seeded probability, yields its time slice or spins for a random while,
// so that the windows between a load and a CAS, or around a promotion, are
// often stretched across other threads' steps.

#ifndef SYNCMAP_STRESS_HARNESS_NOISE_HPP_
#define SYNCMAP_STRESS_HARNESS_NOISE_HPP_

#include <cstdint>

namespace syncmap_stress {

struct noise_config {
  // Probability, per schedule point, of injecting a delay. 0 disables noise.
  double probability = 0.05;
  // A delay is a yield (half of the time) or a busy spin of up to this many
  // pause instructions.
  unsigned max_spin = 4000;
};

// Whether the library was built with schedule points (the tsan and asan
// presets); without them, install() has no effect.
bool schedule_points_available() noexcept;

// Installs the hook for the whole process. Call before starting threads.
void install_noise(const noise_config& config) noexcept;
void uninstall_noise() noexcept;

// Seeds the calling thread's noise generator, so that a run's delays are a
// function of (seed, thread index). Threads that never call it use a
// generator seeded from their address.
void seed_noise_for_this_thread(std::uint64_t seed, std::uint64_t thread_index) noexcept;

// How many delays were injected so far (all threads).
std::uint64_t injected_delays() noexcept;

}  // namespace syncmap_stress

#endif  // SYNCMAP_STRESS_HARNESS_NOISE_HPP_
