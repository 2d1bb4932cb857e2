// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// A test-and-test-and-set lock for the reclamation bookkeeping. It guards a
// thread's retire lists, which only its owner touches in the common case, so
// an acquisition is one uncontended atomic exchange on an owned cache line.
// Contention (a map destructor draining, a collector sweeping the lists of a
// thread that has exited) is rare and short; waiters pause, then yield.

#ifndef SYNCMAP_DETAIL_SPIN_LOCK_HPP_
#define SYNCMAP_DETAIL_SPIN_LOCK_HPP_

#include <atomic>
#include <thread>

namespace syncmap {
namespace detail {

class spin_lock {
 public:
  spin_lock() = default;
  spin_lock(const spin_lock&) = delete;
  spin_lock& operator=(const spin_lock&) = delete;

  void lock() noexcept {
    // acquire: the holder sees everything the previous holder wrote before
    // its release in unlock().
    while (locked_.exchange(true, std::memory_order_acquire)) {
      for (int spins = 0; locked_.load(std::memory_order_relaxed); ++spins) {
        if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        } else {
          std::this_thread::yield();
        }
      }
    }
  }

  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  // True while held. Every access is atomic; see lock()/unlock() for orders.
  std::atomic<bool> locked_{false};
};

}  // namespace detail
}  // namespace syncmap

#endif  // SYNCMAP_DETAIL_SPIN_LOCK_HPP_
