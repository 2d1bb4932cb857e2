// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// The harness's reports: the summary table, a JSON report and a JUnit XML
// report (one test case per workload, for CI systems).

#ifndef SYNCMAP_STRESS_HARNESS_REPORT_HPP_
#define SYNCMAP_STRESS_HARNESS_REPORT_HPP_

#include <cstdio>
#include <string>
#include <vector>

#include "harness.hpp"

namespace syncmap_stress {

void print_summary(std::FILE* out, const config& cfg, const std::vector<workload_result>& results);
void write_json(const std::string& path, const config& cfg, const std::vector<workload_result>& results);
void write_junit(const std::string& path, const config& cfg, const std::vector<workload_result>& results);

}  // namespace syncmap_stress

#endif  // SYNCMAP_STRESS_HARNESS_REPORT_HPP_
