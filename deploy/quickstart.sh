#!/bin/bash
# The README's first command. On a fresh Debian 12, as root: installs the
# build dependencies that are missing, builds PVM-NG in ./build, starts a
# one-host virtual machine of its own (private runtime directory and VM id),
# runs the master/worker example in it, halts it, and exits with the
# example's status.
#
# Usage: deploy/quickstart.sh                   the whole quick start
#        deploy/quickstart.sh --deps-only [pkg...]
#                                               only install what is missing
#                                               (plus the extra packages)
set -u
cd "$(dirname "$0")/.." || exit 1

# What building and testing PVM-NG needs from Debian.
PVMNG_DEPS=(build-essential cmake pkg-config libuv1-dev libprotobuf-c-dev
  protobuf-c-compiler libssl-dev libcmocka-dev libedit-dev libjansson-dev)

say() { echo "quickstart: $*"; }

# Installs those of the given packages that are not installed yet. Touches
# apt (and the network) only when something is missing.
install_missing() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
      grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "build dependencies are installed"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "missing packages: ${missing[*]}; run as root (sudo $0) to install them"
    return 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -q >/dev/null ||
    ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  then
    say "apt-get failed to install: ${missing[*]}"
    return 1
  fi
}

# Runs a step with its output in a log file; on failure shows the log's end.
step() {
  local what=$1 log=$2
  shift 2
  say "$what"
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    say "FAILED: $what (full log: $log)"
    return 1
  fi
}

if [ "${1:-}" = "--deps-only" ]; then
  shift
  install_missing "${PVMNG_DEPS[@]}" "$@"
  exit
fi

install_missing "${PVMNG_DEPS[@]}" || exit 1
mkdir -p build || exit 1
step "configuring ./build (RelWithDebInfo)" build/quickstart-configure.log \
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPVMNG_TESTING=OFF || exit 1
step "building (2 jobs; a few minutes)" build/quickstart-build.log \
  cmake --build build -j2 || exit 1

say "running the master/worker example in a private one-host virtual machine"
bash examples/run_example.sh build/bin master
st=$?
if [ "$st" -eq 0 ]; then
  say "done. Next: ./build/bin/pvm for the console, README.md for a tour"
else
  say "the example failed (status $st)"
fi
exit "$st"
