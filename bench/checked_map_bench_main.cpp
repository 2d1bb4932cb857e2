// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// checked_map_bench: what checked_map costs against the bare container, per
// mode (checked_map_bench.hpp; the rows are in checked_map_bench_<mode>.cpp).

#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
