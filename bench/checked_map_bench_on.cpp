// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// checked_map_bench's rows for mode `on`, in a translation unit of their
// own (see checked_map_bench.hpp).

#include "checked_map_bench.hpp"

namespace {
SYNCMAP_CHECKED_BENCH_ROWS(on);
}  // namespace
