// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// Schedule points: named places in the protocol where an interleaving
// matters (between loading an entry and CAS-ing it, around promotion and the
// dirty rebuild, in the reclamation and presence-gate handshakes). A stress
// harness installs a hook that injects seeded random yields and spins there,
// making rare windows common.
//
// Compiled to nothing unless the library is built with the CMake option
// SYNCMAP_SCHEDULE_POINTS, which defines SYNCMAP_SCHEDULE_POINTS publicly
// for the library and everything that links it, so that all translation
// units agree (the tsan and asan presets turn it on; release builds never).
// With the option on and no hook installed, a point costs one relaxed load.

#ifndef SYNCMAP_DETAIL_SCHEDULE_POINT_HPP_
#define SYNCMAP_DETAIL_SCHEDULE_POINT_HPP_

#if defined(SYNCMAP_SCHEDULE_POINTS)
#include <atomic>
#endif

namespace syncmap {
namespace detail {

// Every schedule point, named after the step it precedes.
enum class point : unsigned {
  snapshot_loaded,         // an operation loaded read_ and is about to search it
  entry_loaded,            // an entry's state was loaded; a CAS on it may follow
  entry_commit,            // entry::commit, just before the CAS
  mutex_acquired,          // a slow path just took the map mutex
  unexpunge,               // re-inserted into dirty_, about to un-expunge
  new_key_inserted,        // a new entry is in dirty_, `amended` not yet set
  rebuild_step,            // dirty_locked() is copying/expunging one entry
  promote_before_publish,  // promote_locked(), before the new snapshot is stored
  promote_after_publish,   // promote_locked(), after it, before retiring the old
  clear_published,         // clear() published the empty snapshot
  range_step,              // range() between two entries
  section_entered,         // a read section announced itself
  epoch_scan,              // an epoch advance between its fence and its scan
  gate_announced,          // a presence-changing CAS announced the gate
  gate_closed,             // size() closed the gate, about to wait
  size_step,               // size()/empty() between two entries of the count
  kCount
};

#if defined(SYNCMAP_SCHEDULE_POINTS)

using schedule_hook = void (*)(point) noexcept;

// The installed hook, or null. Set by a harness before it starts threads
// (set_schedule_hook); read (relaxed) at every point: the hook is a plain
// function, so no data is published through this pointer.
extern std::atomic<schedule_hook> g_schedule_hook;

inline void set_schedule_hook(schedule_hook h) noexcept {
  g_schedule_hook.store(h, std::memory_order_release);
}

inline void schedule_point(point p) noexcept {
  if (const schedule_hook h = g_schedule_hook.load(std::memory_order_relaxed)) h(p);
}

#define SYNCMAP_SCHEDULE_POINT(name) ::syncmap::detail::schedule_point(::syncmap::detail::point::name)

#else

#define SYNCMAP_SCHEDULE_POINT(name) static_cast<void>(0)

#endif

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_SCHEDULE_POINT_HPP_
