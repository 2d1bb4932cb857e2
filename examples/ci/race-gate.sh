#!/usr/bin/env bash
# Race gate for YOUR project: runs its ctest tests under ThreadSanitizer with
# syncmap's race-gate settings (tsan/options, tsan/suppressions) -- the check
# syncmap's own tsan/race-gate applies to itself -- and fails on any data race.
#
# For a CMake project with ctest tests that uses syncmap vendored with
# add_subdirectory (then it is instrumented along with your code). If you use
# an installed syncmap instead, install a ThreadSanitizer build of it (from
# syncmap's tsan preset): an uninstrumented library hides its
# synchronization from TSan, which then reports races that are not there.
#
#   race-gate.sh [options] [-- CTEST_ARGS...]
#     --source DIR       your project (default: the current directory)
#     --build DIR        its ThreadSanitizer build tree (default: SOURCE/build/tsan)
#     --syncmap DIR      the syncmap checkout whose tsan/options to use
#                        (default: the one this script is in)
#     --suppressions F   TSan suppressions file (default: syncmap's tsan/suppressions)
#     --configure-arg A  one more argument for the configure step (repeatable)
#     --junit FILE       also write ctest's JUnit XML report to FILE
#     CTEST_ARGS         passed to ctest, e.g. -- -R concurrent
#   RACE_GATE_JOBS=N     parallel build and test jobs (default: nproc)
#
# Configure: with your project's configure preset "tsan" if it has one
# (examples/ci/CMakePresets.json is one to copy), else with clang++ and
# -fsanitize=thread directly. Then build, export TSAN_OPTIONS composed from
# tsan/options (halt_on_error=1, exitcode=66, ...; yours, if already set,
# come after and win) and run ctest. Exits 0 only if everything built, every
# test passed and no output contains "WARNING: ThreadSanitizer".
set -uo pipefail
syncmap=$(cd "$(dirname "$0")/../.." && pwd)
src=$PWD
build=""
suppressions=""
junit=""
configure_args=()
ctest_args=()
while (($#)); do
  case $1 in
    --source) src=$(realpath "$2"); shift 2 ;;
    --build) build=$(realpath -m "$2"); shift 2 ;;
    --syncmap) syncmap=$(realpath "$2"); shift 2 ;;
    --suppressions) suppressions=$(realpath "$2"); shift 2 ;;
    --configure-arg) configure_args+=("$2"); shift 2 ;;
    --junit) junit=$(realpath -m "$2"); shift 2 ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "race-gate.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
build=${build:-$src/build/tsan}
suppressions=${suppressions:-$syncmap/tsan/suppressions}
jobs=${RACE_GATE_JOBS:-$(nproc)}

if [[ ! -f $syncmap/tsan/options ]]; then
  echo "race-gate.sh: $syncmap/tsan/options not found (use --syncmap DIR)" >&2
  exit 2
fi

echo "race-gate.sh: configuring $src in $build"
if (cd "$src" && cmake --list-presets=configure 2>/dev/null | grep -q '"tsan"'); then
  (cd "$src" && cmake --preset tsan -B "$build" --no-warn-unused-cli "${configure_args[@]}") || { echo "race-gate.sh: FAILED (configure)"; exit 1; }
else
  flags="-fsanitize=thread -fno-omit-frame-pointer -g"
  generator=()
  if [[ ! -f $build/CMakeCache.txt ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S "$src" -B "$build" "${generator[@]}" --no-warn-unused-cli -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    "-DCMAKE_C_FLAGS=$flags" "-DCMAKE_CXX_FLAGS=$flags" \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
    "${configure_args[@]}" || { echo "race-gate.sh: FAILED (configure)"; exit 1; }
fi
cmake --build "$build" -j "$jobs" || { echo "race-gate.sh: FAILED (build)"; exit 1; }

# TSAN_OPTIONS exactly as syncmap's gate composes it: one option per line of
# tsan/options, '#' comments dropped, plus the suppressions file.
opts=$(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$syncmap/tsan/options" | grep -v '^$' | tr '\n' ' ')
export TSAN_OPTIONS="${opts}suppressions=${suppressions}${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
echo "race-gate.sh: TSAN_OPTIONS=$TSAN_OPTIONS"

log="$build/race-gate.log"
junit_args=()
[[ -n $junit ]] && junit_args=(--output-junit "$junit")
ctest --test-dir "$build" -j "$jobs" --output-on-failure "${junit_args[@]}" "${ctest_args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
reports=$(grep -c 'WARNING: ThreadSanitizer' "$log")

echo
echo "================ race gate ================"
echo "tests:         $(grep -E '^[0-9]+% tests passed' "$log" | tail -1)"
echo "TSan reports:  $reports"
echo "log:           $log"
if ((status != 0 || reports != 0)); then
  echo "RESULT:        FAILED"
  exit 1
fi
echo "RESULT:        PASSED"
