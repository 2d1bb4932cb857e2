#!/usr/bin/env bash
# ctest's check of race-gate.sh (test example_ci_race_gate): runs it on a copy
# of examples/ci/sample-project, configured through the preset file users are
# told to copy (examples/ci/CMakePresets.json), twice:
#   1. as is: must pass;
#   2. with a data race in the user's test (-DSAMPLE_WITH_RACE=ON): must
#      fail, with a ThreadSanitizer report.
#   self-test.sh WORK_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
syncmap=$(cd "$here/../.." && pwd)
work=${1:?usage: self-test.sh WORK_DIR}
export RACE_GATE_JOBS=${RACE_GATE_JOBS:-2}

mkdir -p "$work/project"
cp "$here/sample-project/CMakeLists.txt" "$here/sample-project/session_registry_test.cpp" \
  "$here/CMakePresets.json" "$work/project/"
gate=("$here/race-gate.sh" --source "$work/project" --build "$work/build"
  --configure-arg "-DSYNCMAP_DIR=$syncmap")

if ! "${gate[@]}" --configure-arg -DSAMPLE_WITH_RACE=OFF; then
  echo "self-test: FAILED -- race-gate.sh failed on a race-free project"
  exit 1
fi

log="$work/racy.log"
"${gate[@]}" --configure-arg -DSAMPLE_WITH_RACE=ON >"$log" 2>&1
status=$?
if ((status == 0)); then
  cat "$log"
  echo "self-test: FAILED -- race-gate.sh passed a project with a data race"
  exit 1
fi
if ! grep -q 'WARNING: ThreadSanitizer: data race' "$log"; then
  cat "$log"
  echo "self-test: FAILED -- race-gate.sh failed, but not on a ThreadSanitizer report"
  exit 1
fi
echo "self-test: passed -- race-gate.sh passes a race-free project and fails on a data race"
