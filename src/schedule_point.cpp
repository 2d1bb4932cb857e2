// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).

#include "syncmap/detail/schedule_point.hpp"

#if defined(SYNCMAP_SCHEDULE_POINTS)
namespace syncmap {
namespace detail {

std::atomic<schedule_hook> g_schedule_hook{nullptr};

}  // namespace detail
}  // namespace syncmap
#endif
