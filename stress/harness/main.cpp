// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).
//
// syncmap-stress: drives sync_map with concurrent workloads, checks every
// recorded history for linearizability and every workload's invariants, and
// reports. Exit status 0 only when every check passed.
//
//   syncmap-stress --list
//   syncmap-stress [--workload NAME|all] [--threads N] [--duration S | --ops N]
//                  [--seed N] [--keys N] [--noise P] [--json FILE] [--junit FILE]

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <syncmap/detail/reclaim.hpp>

#include "harness.hpp"
#include "report.hpp"

namespace syncmap_stress {
namespace {

const char* const kUsage =
    "usage: syncmap-stress [options]\n"
    "  --list              list the workloads and exit\n"
    "  --workload NAME     a workload, or 'all' (default), or a comma-separated list\n"
    "  --threads N         worker threads (default: twice the hardware threads)\n"
    "  --duration SECONDS  run time per workload (default 10)\n"
    "  --ops N             operations per workload instead of a duration\n"
    "  --seed N            seed of every random choice (default: random, printed)\n"
    "  --keys N            key-space size for the workloads that use one (default 64)\n"
    "  --round-ops N       steps per thread between checkpoints (default 1000)\n"
    "  --noise P           probability of a delay at each schedule point (default 0.05; 0 = off)\n"
    "  --checker-threads N threads checking histories (default 1)\n"
    "  --json FILE         write a JSON report\n"
    "  --junit FILE        write a JUnit XML report (one test case per workload)\n"
    "  --fail-fast         stop after the first workload that fails\n"
    "  --passes N          cycle through the workloads N times, each run lasting duration/N (or ops/N),\n"
    "                      so that every workload starts early (pass p uses seed + p)\n"
    "  --collect-bytes N   reclaim after N bytes retired per thread (default 256; 0: the library's\n"
    "                      own 131072); small values advance the epoch more often\n"
    "  --quiet             no progress lines\n";

// A command-line mistake: run() prints it with the usage and exits 2.
struct usage_failure {
  std::string what;
};

[[noreturn]] void usage_error(const std::string& what) { throw usage_failure{what}; }

std::uint64_t parse_uint(const std::string& flag, const char* text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') usage_error(flag + " needs a whole number, got '" + text + "'");
  return v;
}

double parse_double(const std::string& flag, const char* text) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || v < 0) {
    usage_error(flag + " needs a non-negative number, got '" + text + "'");
  }
  return v;
}

config parse(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--list") {
      cfg.list = true;
    } else if (a == "--workload") {
      cfg.workload = value();
    } else if (a == "--threads") {
      cfg.threads = static_cast<unsigned>(parse_uint(a, value()));
    } else if (a == "--duration") {
      cfg.duration = parse_double(a, value());
    } else if (a == "--ops") {
      cfg.ops = parse_uint(a, value());
    } else if (a == "--seed") {
      cfg.seed = parse_uint(a, value());
    } else if (a == "--keys") {
      cfg.keys = static_cast<unsigned>(parse_uint(a, value()));
    } else if (a == "--round-ops") {
      cfg.round_ops = parse_uint(a, value());
    } else if (a == "--noise") {
      cfg.noise.probability = parse_double(a, value());
    } else if (a == "--checker-threads") {
      cfg.checker_threads = static_cast<unsigned>(parse_uint(a, value()));
    } else if (a == "--json") {
      cfg.json = value();
    } else if (a == "--junit") {
      cfg.junit = value();
    } else if (a == "--quiet") {
      cfg.progress = false;
    } else if (a == "--fail-fast") {
      cfg.fail_fast = true;
    } else if (a == "--collect-bytes") {
      cfg.collect_bytes = parse_uint(a, value());
    } else if (a == "--passes") {
      cfg.passes = static_cast<unsigned>(parse_uint(a, value()));
    } else if (a == "-h" || a == "--help") {
      cfg.help = true;
    } else {
      usage_error("unknown option " + a);
    }
  }
  if (cfg.threads == 0) cfg.threads = 2 * std::max(1U, std::thread::hardware_concurrency());
  if (cfg.threads > 250) usage_error("--threads must be at most 250");
  if (cfg.keys == 0) usage_error("--keys must be positive");
  if (cfg.round_ops == 0) usage_error("--round-ops must be positive");
  if (cfg.checker_threads == 0) cfg.checker_threads = 1;
  if (cfg.passes == 0) usage_error("--passes must be positive");
  if (cfg.seed == 0) cfg.seed = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32) | 1;
  return cfg;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int run(int argc, char** argv) {
  config cfg;
  try {
    cfg = parse(argc, argv);
  } catch (const usage_failure& e) {
    std::cerr << "syncmap-stress: " << e.what << "\n" << kUsage;
    return 2;
  }
  if (cfg.help) {
    std::cout << kUsage;
    return 0;
  }
  std::vector<std::unique_ptr<workload>> all = make_workloads();
  if (cfg.list) {
    for (const auto& w : all) std::printf("%-20s %s\n", w->name(), w->description());
    return 0;
  }

  std::vector<workload*> chosen;
  if (cfg.workload == "all") {
    for (auto& w : all) chosen.push_back(w.get());
  } else {
    for (const std::string& name : split(cfg.workload)) {
      workload* found = nullptr;
      for (auto& w : all) {
        if (name == w->name()) found = w.get();
      }
      if (found == nullptr) {
        std::cerr << "syncmap-stress: no workload named '" << name << "' (see --list)\n";
        return 2;
      }
      chosen.push_back(found);
    }
  }

  std::printf(
      "syncmap-stress: seed %llu, %u threads, %s per workload in %u pass(es), %u keys, schedule noise %s\n",
      static_cast<unsigned long long>(cfg.seed), cfg.threads,
      cfg.ops > 0 ? (std::to_string(cfg.ops) + " ops").c_str()
                  : (std::to_string(cfg.duration) + " s").c_str(),
      cfg.passes, cfg.keys,
      schedule_points_available() ? std::to_string(cfg.noise.probability).c_str()
                                  : "unavailable (library built without schedule points)");
  std::printf("replay with: --seed %llu\n", static_cast<unsigned long long>(cfg.seed));
  std::printf("reclamation collects every %llu retired bytes per thread\n",
              static_cast<unsigned long long>(
                  cfg.collect_bytes != 0 ? cfg.collect_bytes : syncmap::detail::reclaim::kCollectBytes));
  std::fflush(stdout);
  install_noise(cfg.noise);
  syncmap::detail::reclaim::set_collect_bytes(static_cast<std::size_t>(cfg.collect_bytes));

  std::vector<workload_result> results(chosen.size());
  const auto started = std::chrono::steady_clock::now();
  bool stop = false;
  for (unsigned pass = 0; pass < cfg.passes && !stop; ++pass) {
    config slice = cfg;
    slice.duration = cfg.duration / cfg.passes;
    slice.ops = cfg.ops / cfg.passes;
    slice.seed = cfg.seed + pass;
    for (std::size_t i = 0; i < chosen.size() && !stop; ++i) {
      const double at = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::fprintf(stderr, "== %s (at %.1f s, pass %u of %u): %s\n", chosen[i]->name(), at, pass + 1,
                   cfg.passes, chosen[i]->description());
      const workload_result r = run_workload(*chosen[i], slice);
      for (const std::string& m : r.messages) std::fprintf(stderr, "FAILURE: %s\n", m.c_str());
      results[i].merge(r);
      stop = !r.passed() && cfg.fail_fast;
    }
  }
  // Workloads never reached (--fail-fast) are not reported.
  results.erase(
      std::remove_if(results.begin(), results.end(), [](const workload_result& r) { return r.name.empty(); }),
      results.end());
  uninstall_noise();

  print_summary(stdout, cfg, results);
  if (!cfg.json.empty()) write_json(cfg.json, cfg, results);
  if (!cfg.junit.empty()) write_junit(cfg.junit, cfg, results);
  for (const workload_result& r : results) {
    if (!r.passed()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace syncmap_stress

int main(int argc, char** argv) { return syncmap_stress::run(argc, argv); }
