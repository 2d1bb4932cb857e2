// Copyright (c) syncmap authors. Licensed under the MIT license (see LICENSE).

#include "report.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace syncmap_stress {
namespace {

std::string human(double v) {
  char buf[32];
  if (v >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
  } else if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

std::string escape_json(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string escape_xml(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

void print_summary(std::FILE* out, const config& cfg, const std::vector<workload_result>& results) {
  std::fprintf(out, "\n%-20s %9s %9s %10s %11s %10s %10s %7s  %s\n", "workload", "ops", "ops/s", "histories",
               "checked ops", "violations", "invariants", "check%", "result");
  unsigned passed = 0;
  for (const workload_result& r : results) {
    const double ops = static_cast<double>(r.total_ops());
    std::fprintf(out, "%-20s %9s %9s %10s %11s %10llu %10llu %6.0f%%  %s\n", r.name.c_str(),
                 human(ops).c_str(), human(r.seconds > 0 ? ops / r.seconds : 0).c_str(),
                 human(static_cast<double>(r.checked.histories)).c_str(),
                 human(static_cast<double>(r.checked.operations)).c_str(),
                 static_cast<unsigned long long>(r.violations),
                 static_cast<unsigned long long>(r.invariant_failures),
                 r.seconds > 0 ? 100.0 * r.check_seconds / r.seconds : 0.0, r.passed() ? "PASS" : "FAIL");
    std::string kinds;
    for (std::size_t s = 0; s < kStatCount; ++s) {
      if (r.ops[s] == 0) continue;
      if (!kinds.empty()) kinds += ", ";
      kinds += std::string(to_string(static_cast<stat>(s))) + " " + human(static_cast<double>(r.ops[s]));
    }
    std::fprintf(out, "    by kind: %s; %llu rounds, %llu injected delays%s\n", kinds.c_str(),
                 static_cast<unsigned long long>(r.rounds), static_cast<unsigned long long>(r.delays),
                 r.checked.inconclusive > 0
                     ? (", " + std::to_string(r.checked.inconclusive) + " histories inconclusive").c_str()
                     : "");
    if (r.passed()) ++passed;
  }
  std::fprintf(out, "\nseed %llu: %u of %zu workloads passed -- %s\n",
               static_cast<unsigned long long>(cfg.seed), passed, results.size(),
               passed == results.size() ? "PASS" : "FAIL");
}

void write_json(const std::string& path, const config& cfg, const std::vector<workload_result>& results) {
  std::ofstream f(path);
  if (!f) {
    std::cerr << "syncmap-stress: cannot write " << path << "\n";
    return;
  }
  f << "{\n  \"seed\": " << cfg.seed << ",\n  \"threads\": " << cfg.threads
    << ",\n  \"duration\": " << cfg.duration << ",\n  \"ops\": " << cfg.ops << ",\n  \"keys\": " << cfg.keys
    << ",\n  \"noise\": " << cfg.noise.probability << ",\n  \"workloads\": [";
  bool all_passed = true;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const workload_result& r = results[i];
    all_passed = all_passed && r.passed();
    f << (i == 0 ? "\n" : ",\n") << "    {\"name\": \"" << r.name << "\", \"result\": \""
      << (r.passed() ? "pass" : "fail") << "\", \"seconds\": " << r.seconds
      << ", \"check_seconds\": " << r.check_seconds << ", \"rounds\": " << r.rounds
      << ", \"delays\": " << r.delays << ", \"histories_checked\": " << r.checked.histories
      << ", \"operations_checked\": " << r.checked.operations
      << ", \"states_explored\": " << r.checked.states_explored
      << ", \"inconclusive\": " << r.checked.inconclusive << ", \"violations\": " << r.violations
      << ", \"invariant_failures\": " << r.invariant_failures << ", \"ops\": {";
    bool first = true;
    for (std::size_t s = 0; s < kStatCount; ++s) {
      if (r.ops[s] == 0) continue;
      f << (first ? "" : ", ") << "\"" << to_string(static_cast<stat>(s)) << "\": " << r.ops[s];
      first = false;
    }
    f << "}, \"messages\": [";
    for (std::size_t m = 0; m < r.messages.size(); ++m) {
      f << (m == 0 ? "" : ", ") << "\"" << escape_json(r.messages[m]) << "\"";
    }
    f << "]}";
  }
  f << "\n  ],\n  \"result\": \"" << (all_passed ? "pass" : "fail") << "\"\n}\n";
}

void write_junit(const std::string& path, const config& cfg, const std::vector<workload_result>& results) {
  std::ofstream f(path);
  if (!f) {
    std::cerr << "syncmap-stress: cannot write " << path << "\n";
    return;
  }
  std::size_t failures = 0;
  double total = 0;
  for (const workload_result& r : results) {
    failures += r.passed() ? 0 : 1;
    total += r.seconds;
  }
  f << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"syncmap-stress\" "
       "tests=\""
    << results.size() << "\" failures=\"" << failures << "\" time=\"" << total << "\">\n"
    << "    <properties><property name=\"seed\" value=\"" << cfg.seed << "\"/></properties>\n";
  for (const workload_result& r : results) {
    f << "    <testcase classname=\"syncmap-stress\" name=\"" << r.name << "\" time=\"" << r.seconds << "\">";
    if (!r.passed()) {
      std::ostringstream msg;
      for (const std::string& m : r.messages) msg << m << "\n";
      f << "\n      <failure message=\"" << r.violations << " violations, " << r.invariant_failures
        << " invariant failures (seed " << cfg.seed << ")\">" << escape_xml(msg.str()) << "</failure>\n    ";
    }
    f << "</testcase>\n";
  }
  f << "  </testsuite>\n</testsuites>\n";
}

}  // namespace syncmap_stress
