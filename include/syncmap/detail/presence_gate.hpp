// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The presence gate: how size() and empty() see one instant of the map.
//
// Keys appear and disappear (an entry going from nil to a value, or from a
// value to nil) mostly without the map mutex, by a CAS on the entry. To count
// the live keys as of one instant, size() holds the mutex -- which stops
// every change made under it -- and closes the map's gate, which stops the
// lock-free ones: a thread about to make such a CAS first announces the gate
// in its thread record (a store to memory only it writes, plus a compiler
// barrier), then checks that the gate is open. size() closes the gate,
// issues the heavy fence, and waits until no record announces the gate. By
// the asymmetric-fence guarantee, a writer either sees the gate closed (and
// backs off before its CAS) or is seen announcing it (and size() waits for
// its CAS to finish). Overwrites of a present key do not change presence and
// do not pass the gate.

#ifndef SYNCMAP_DETAIL_PRESENCE_GATE_HPP_
#define SYNCMAP_DETAIL_PRESENCE_GATE_HPP_

#include <atomic>
#include <mutex>

#include "syncmap/detail/asymmetric_fence.hpp"
#include "syncmap/detail/config.hpp"
#include "syncmap/detail/schedule_point.hpp"
#include "syncmap/detail/thread_record.hpp"

namespace syncmap {
namespace detail {

class presence_gate {
 public:
  // The right of one thread, inside one operation, to change presence on
  // one map: what an entry's CAS loop needs to pass the gate.
  class ticket {
   public:
    ticket(const presence_gate& gate, reclaim::thread_record& rec, std::mutex& mu) noexcept
        : gate_(&gate), rec_(&rec), mu_(&mu) {}

    // Announces a presence-changing CAS. Returns once the gate is open; if
    // size() is counting, waits for it by acquiring and releasing the map
    // mutex (size() holds it while the gate is closed). Never waits when the
    // caller holds the map mutex, since the gate is then open. The caller
    // makes its CAS, then calls leave(), whatever the CAS's outcome.
    void enter() const {
      while (!gate_->try_enter(*rec_)) {
        std::lock_guard<std::mutex> wait_for_size(*mu_);
      }
    }
    void leave() const noexcept { gate_->leave(*rec_); }

   private:
    const presence_gate* gate_;
    reclaim::thread_record* rec_;
    std::mutex* mu_;
  };

  presence_gate() = default;
  presence_gate(const presence_gate&) = delete;
  presence_gate& operator=(const presence_gate&) = delete;

  // size() side; the map mutex must be held from close_locked() to
  // open_locked(). Returns once no presence-changing CAS is in flight; until
  // open_locked(), none starts.
  void close_locked() const noexcept;
  void open_locked() const noexcept { closed_.store(false, std::memory_order_relaxed); }

 private:
  bool try_enter(reclaim::thread_record& r) const noexcept {
    // relaxed + light fence: the store-load pair is ordered against
    // close_locked() by the heavy fence there.
    r.transition.store(this, std::memory_order_relaxed);
    light_fence(r.asymmetric);
    SYNCMAP_SCHEDULE_POINT(gate_announced);
    if (SYNCMAP_UNLIKELY(closed_.load(std::memory_order_relaxed))) {
      r.transition.store(nullptr, std::memory_order_relaxed);
      return false;
    }
    return true;
  }

  void leave(reclaim::thread_record& r) const noexcept {
    // release: the CAS made while announcing happens before size() counts.
    r.transition.store(nullptr, std::memory_order_release);
  }

  // True while size() or empty() counts. Written only with the map mutex
  // held; read by writers between their announcement and their CAS.
  mutable std::atomic<bool> closed_{false};
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_PRESENCE_GATE_HPP_
