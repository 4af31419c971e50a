#!/bin/bash
# The test command (README, and CI through .ci/run): installs what is
# missing, builds ./build-test with warnings as errors and runs every ctest
# test, then does the same under ASan+UBSan in ./build-asan (skipped with
# PVMNG_SKIP_SANITIZE=1), with the s390x and aarch64 cross builds of the
# heterogeneous tests first (skipped with PVMNG_SKIP_HETERO=1). The last
# line is ctest's summary of the regular run; the exit status is non-zero if
# either run (or a cross build) fails.
set -u
cd "$(dirname "$0")/.." || exit 1

say() { echo "run-all: $*"; }

# Configures and builds one tree, output in <dir>.log files; shows the end of
# the log on failure.
build_tree() {
  local dir=$1
  shift
  mkdir -p "$dir" || return 1
  say "configuring $dir ($*)"
  if ! cmake -S . -B "$dir" "$@" >"$dir/run-all-configure.log" 2>&1; then
    tail -n 60 "$dir/run-all-configure.log"
    say "FAILED: configure $dir"
    return 1
  fi
  say "building $dir (2 jobs)"
  if ! cmake --build "$dir" -j2 >"$dir/run-all-build.log" 2>&1; then
    grep -E -A5 'error|Error' "$dir/run-all-build.log" | head -n 80
    tail -n 30 "$dir/run-all-build.log"
    say "FAILED: build $dir"
    return 1
  fi
}

# Runs ctest in one tree, output on the terminal and in <dir>/run-all-ctest.log.
run_ctest() {
  local dir=$1
  say "testing $dir"
  ctest --test-dir "$dir" --output-on-failure -j2 --timeout 300 --no-label-summary \
    --no-tests=error 2>&1 | tee "$dir/run-all-ctest.log"
  return "${PIPESTATUS[0]}"
}

# ctest's summary line of one run, or a note that there is none.
summary() {
  grep -E '^[0-9]+% tests passed' "$1/run-all-ctest.log" 2>/dev/null |
    tail -n 1 || true
}

start=$(date +%s)
# pvm-examples: PVM 3.4.6's example sources, which tests/examples346 builds.
# openssh-*, slurm* and munge: the ssh and slurm cluster tests' daemons.
# groff-base and man-db: lint.manpages renders the manual pages.
bash deploy/quickstart.sh --deps-only iproute2 nftables shellcheck cppcheck \
  clang-format clang-tidy pvm-examples jq openssh-server openssh-client \
  slurmctld slurmd slurm-client munge groff-base man-db || exit 1

status=0

# The cross builds that the heterogeneous cluster tests (ctest -L hetero)
# run as the s390x and aarch64 hosts of a VM: only their daemon, console
# and test program (deploy/cross-build.sh installs the cross compilers,
# qemu-user and a sysroot on first use). PVMNG_SKIP_HETERO=1 leaves them
# out, and those tests then skip.
if [ "${PVMNG_SKIP_HETERO:-0}" != 1 ]; then
  cross_start=$(date +%s)
  for arch in s390x aarch64; do
    mkdir -p "build-$arch"
    say "cross-building build-$arch (pvmd, pvm, cl_hetero)"
    if ! deploy/cross-build.sh "$arch" --no-test --target pvmd --target pvm \
      --target cl_hetero >"build-$arch/run-all-cross.log" 2>&1; then
      tail -n 30 "build-$arch/run-all-cross.log"
      say "FAILED: cross build for $arch"
      status=1
    fi
  done
  say "cross builds took $(($(date +%s) - cross_start)) s"
fi

regular=
if build_tree build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPVMNG_WERROR=ON; then
  run_ctest build-test || status=1
  regular=$(summary build-test)
else
  status=1
fi

sanitized=skipped
if [ "${PVMNG_SKIP_SANITIZE:-0}" != 1 ]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if build_tree build-asan -DCMAKE_BUILD_TYPE=Debug -DPVMNG_SANITIZE=ON; then
    run_ctest build-asan || status=1
    sanitized=$(summary build-asan)
    [ -n "$sanitized" ] || sanitized="no summary (see build-asan/run-all-ctest.log)"
  else
    status=1
    sanitized="build failed"
  fi
fi

echo
say "finished in $(($(date +%s) - start)) s"
say "sanitizer build (ASan+UBSan, ./build-asan): $sanitized"
say "regular build (./build-test):"
if [ -n "$regular" ]; then
  # Failed tests of the regular run, as ctest listed them, then its summary.
  sed -n '/^The following tests FAILED:/,$p' build-test/run-all-ctest.log |
    grep -E '^(The following|[[:space:]]+[0-9]+ - )' || true
  echo "$regular"
else
  echo "no test summary: the regular build or its tests did not run"
fi
exit "$status"
