// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).

#include "syncmap/detail/presence_gate.hpp"

#include <atomic>
#include <thread>

#include "syncmap/detail/asymmetric_fence.hpp"
#include "syncmap/detail/schedule_point.hpp"
#include "syncmap/detail/thread_record.hpp"

namespace syncmap {
namespace detail {

void presence_gate::close_locked() const noexcept {
  // relaxed + heavy fence: the Dekker pair of enter() (see the file comment).
  closed_.store(true, std::memory_order_relaxed);
  heavy_fence();
  SYNCMAP_SCHEDULE_POINT(gate_closed);
  for (reclaim::thread_record* r = reclaim::first_record(); r != nullptr; r = r->next_record) {
    // acquire: pairs with leave(), so the announced CAS is visible to the count.
    // The announcing thread makes one CAS and leaves; it never waits inside.
    while (r->transition.load(std::memory_order_acquire) == this) std::this_thread::yield();
  }
}

}  // namespace detail
}  // namespace syncmap
