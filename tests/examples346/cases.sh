#!/bin/bash
# The cases of the PVM 3.4.6 example suite: how each example program is run
# (the arguments and input its Readme or its source's head comment gives)
# and what its output must show. Runs inside a virtual machine that is up,
# with the examples on PATH and PVM_PATH (spawn by name).
#
# Usage: cases.sh <case> <work dir>
# $EX_CONSOLE is the console to run "spawn -> ..." with: a command that takes
# one console command line as its argument and returns once the spawned
# tasks' output is complete (PVM-NG's `pvm -c`).
set -u
case_name=${1:?case}
work=${2:?work dir}
mkdir -p "$work" || exit 2
fails=0
out=

say() { echo "cases[$case_name]: $*"; }
fail() {
  say "FAIL: $*"
  fails=$((fails + 1))
}

# run <label> <seconds> <stdin text> <command...>: output (stdout and stderr)
# in $work/<label>.out, shown, exit status in $rc.
run() {
  local label=$1 limit=$2 input=$3
  shift 3
  out=$work/$label.out
  say "running: $* (input: $(printf '%s' "$input" | tr '\n' ' '))"
  printf '%s' "$input" | timeout --kill-after=5 "$limit" "$@" >"$out" 2>&1
  rc=$?
  sed "s/^/  | /" "$out"
  [ "$rc" -eq 124 ] && fail "$label: timed out after $limit s"
  say "$label: exit status $rc"
}
# The console's "spawn -> ..." (output collected by the console).
console() {
  local cmd
  read -r -a cmd <<<"${EX_CONSOLE:?}"
  run "$1" "$2" "" "${cmd[@]}" "$3"
}
# expect <regex> <what>: a line of the last output matches.
expect() {
  grep -Eq -- "$1" "$out" || fail "$2 (no line matches /$1/ in $(basename "$out"))"
}
# expect_n <n> <regex> <what>: exactly n lines of the last output match.
expect_n() {
  local n
  n=$(grep -Ec -- "$2" "$out")
  [ "$n" -eq "$1" ] || fail "$3 ($n lines match /$2/, expected $1)"
}
# no_line <regex> <what>
no_line() {
  ! grep -Eq -- "$1" "$out" || fail "$2 (a line matches /$1/)"
}
status() {
  [ "$rc" -eq "$1" ] || fail "$2: exit status $rc, expected $1"
}

host=$(uname -n)
host=${host%%.*}
T='t[0-9a-f]+'

case $case_name in
hello)
  # Readme 1: "i'm t40002" / "from t40003: hello, world from <host>".
  run hello 30 "" hello
  status 0 hello
  expect "^i'm $T\$" "hello's own tid"
  expect "^from $T: hello, world from [^ ]+\$" "hello_other's greeting"
  ;;
master1)
  # Readme 2: 3 workers per host, each result as expected.
  run master1 40 "" master1
  status 0 master1
  expect '^Spawning 3 worker tasks \.\.\. SUCCESSFUL$' "spawn line"
  for v in 100 200 300; do
    expect "^I got $v\.000000 from [0-2]; \(expecting $v\.000000\)\$" "result $v"
  done
  expect_n 3 '^I got ' "three results"
  ;;
fmaster1)
  run fmaster1 40 "" fmaster1
  status 0 fmaster1
  expect 'SUCCESSFUL' "spawn line"
  for v in 100 200 300; do
    expect "I got +$v\.0+ from +[0-2] \(expected +$v\.0+ \)" "result $v"
  done
  expect_n 3 'I got ' "three results"
  ;;
spmd | fspmd)
  # Readme 3: spawn -4 -> spmd, a token through the 4-tid ring.
  console "$case_name" 60 "spawn -4 -> $case_name"
  status 0 "console"
  expect '^4 successful$' "4 tasks spawned"
  expect "^\[1:$T\] +Pass a token through the +4 +tid ring:\$" "ring size"
  expect "^\[1:$T\] +([0-9]+ +-> +){4}[0-9]+ *\$" "the ring of tids"
  expect "^\[1:$T\] +token ring done\$" "token came back"
  expect_n 4 "^\[1:$T\] EOF\$" "4 tasks ended"
  ;;
gexample | fgexample)
  # Readme 7: the 1-norm 5050 and the product 100! of a 100x100 matrix on 3
  # tasks (the C version asks for dimension and tasks on stdin).
  run "$case_name" 60 $'100\n3\n' "$case_name"
  status 0 "$case_name"
  expect '[Uu]sing +[23] +processors' "tasks used"
  expect 'The 1-Norm is +5050' "1-norm"
  expect 'The product of column 1 is +9\.3326[0-9]*[eE]\+157' "100 factorial"
  ;;
timing)
  # Round trips and bandwidth with timing_slave; ends with "done".
  run timing 120 "" timing
  expect "^slave is task $T\$" "slave spawned"
  expect '^RTT Avg uSec [0-9]+$' "round-trip average"
  for s in 100 1000 10000 100000 1000000; do
    expect "^Message size $s\$" "bandwidth at $s bytes"
  done
  expect_n 5 '^Avg Byte/uSec$' "five bandwidth results"
  expect '^done$' "done"
  ;;
dbwtest | ibwtest | pbwtest | rbwtest)
  # Readme 4: spawn -2 -> dbwtest; the master checks 100000 doubles and
  # times every size up to 800000 bytes.
  console "$case_name" 120 "spawn -2 -> $case_name"
  status 0 "console"
  expect "^\[1:$T\] $T: 100000 doubles received correctly\$" "data check"
  expect "^\[1:$T\] [0-9a-f]+ -- I am the master ?\$" "master"
  for s in 0 8 80 800 8000 80000 800000; do
    expect "^\[1:$T\] Roundtrip T = [0-9]+ \(us\) +\([0-9.]+ MB/s\) +Data size: $s\$" \
      "round trip of $s bytes"
  done
  expect_n 2 "^\[1:$T\] EOF\$" "both tasks ended"
  ;;
hitc)
  # Pool of tasks: one hitc_slave per host works through the synthetic load.
  run hitc 120 "" hitc
  status 0 hitc
  expect '^ +1 +hosts detected in configuration$' "host count"
  expect_n 10 '^ I got result from tid: +[0-9]+$' "ten results"
  expect '^ sent +[0-9]+ +task of size: +-1$' "end of work sent"
  expect '^ Program Finished$' "finished"
  ;;
inherit1 | inherit3)
  # inherita's two tests: a context inherited by grandchildren (inherit1),
  # and a child's new context inherited by its own child (inherit3).
  run "$case_name" 40 "" inherita "$case_name"
  status 0 inherita
  expect "^inherita: $T on machine <.*> with original context 0\.\$" "base context"
  ctx=$(sed -n 's/^inherita: t[0-9a-f]* on machine <.*> with changed context \([0-9]*\)\.$/\1/p' "$out" | head -n 1)
  [ -n "$ctx" ] || fail "no changed context"
  ctx=${ctx:-x}
  [ "$ctx" != 0 ] || fail "the new context is the base context"
  if [ "$case_name" = inherit1 ]; then
    expect "^inherita: $T inherit1: I just spawned inherit2 as tid $T with context $ctx\.\$" \
      "inherit2 spawned in inherita's context"
    expect "inherit2 $T on machine <.*> with context $ctx\.\$" \
      "inherit2 reports inherita's context"
    expect "^inherita: $T END - sent from inherit1 $T on machine <.*> with context $ctx\.\$" \
      "END from inherit1"
  else
    child=$(sed -n 's/^inherita: t[0-9a-f]* inherit3: I just spawned inherit2 as tid t[0-9a-f]* with context \([0-9]*\)\.$/\1/p' "$out")
    if [ -z "$child" ] || [ "$child" = "$ctx" ] || [ "$child" = 0 ]; then
      fail "inherit3 did not spawn inherit2 in a context of its own ($child)"
    fi
    expect "inherit2 $T on machine <.*> with context ${child:-x}\.\$" \
      "inherit2 reports inherit3's context"
    expect "^inherita: $T END - sent from inherit3 $T on machine <.*> with context $ctx\.\$" \
      "END from inherit3 in inherita's context"
  fi
  expect_n 2 "with original context 0\.\$" "context restored"
  ;;
inheritb)
  # Two children in two new contexts; the parent picks each message by context.
  run inheritb 40 "" inheritb
  status 0 inheritb
  c1=$(sed -n 's/^1:inheritb: .* with new #1 context \([0-9]*\) .*/\1/p' "$out")
  c2=$(sed -n 's/^2:inheritb: .* with new #2 context \([0-9]*\) .*/\1/p' "$out")
  if [ -z "$c1" ] || [ -z "$c2" ] || [ "$c1" = "$c2" ]; then
    fail "two new contexts ($c1, $c2)"
  fi
  expect "^3:inheritb: ${T}[[:space:]]+inherit2 $T on machine <.*> with context ${c2:-x}\. <-- received from 2nd inherit2\.\$" \
    "the 2nd child's message in context #2"
  expect "^5:inheritb: ${T}[[:space:]]+inherit2 $T on machine <.*> with context ${c1:-x}\. <-- received from 1st inherit2\.\$" \
    "the 1st child's message in context #1"
  ;;
task)
  # The mailbox service: task0 puts a service and its context in the mailbox
  # and serves requests in that context; task1 looks it up and is served;
  # task_end tells it to finish.
  bg=$work/task0.out
  say "starting task0 svc346 d in the background"
  timeout --kill-after=5 40 task0 svc346 d >"$bg" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q 'waiting for service request' "$bg" && break
    sleep 0.1
  done
  run task1 20 "" task1 svc346 0 d
  status 0 task1
  expect "^task1: service name <svc346> and index 0 with flags <PvmMboxDefault > tid: [0-9a-f]+ and with context: [0-9]+\$" \
    "the service found in the mailbox"
  expect "^task1: $T +from task $T welcome to my server - you are service request number 1\.\$" \
    "served"
  run task_end 20 "" task_end svc346 0
  status 0 task_end
  expect "^service name <svc346> of index 0 on <.*> id: [0-9a-f]+ +with their context: [0-9]+\$" \
    "task_end found the service"
  wait "$pid"
  rc=$?
  out=$bg
  sed "s/^/  | /" "$out"
  status 0 task0
  expect '^task0: just inserted service name <svc346> at index 0\.$' "task0's entry"
  expect "^task0: ${T}[[:space:]]+task1 $T on machine <.*> with context [0-9]+\.  Request number 1\.\$" \
    "task1's request"
  expect "^task0: $T END  Request number 2\.\$" "END request"
  expect '^task0: handled 2 service requests\.$' "task0 finished"
  ;;
lmbi)
  # lmbi loads persistent entries and exits; gmbi lists them (owner t0 now);
  # rme tries to remove one.
  run lmbi 20 "" lmbi 3 p e
  status 0 lmbi
  expect_n 3 '^lmbi: just inserted entry <t[0-9a-f]+lmbi[0-2]> at index 0\.$' "3 entries"
  name=$(sed -n 's/^lmbi: just inserted entry <\(t[0-9a-f]*lmbi1\)> .*/\1/p' "$out")
  pat="${name%lmbi1}lmbi*"
  run gmbi 20 "" gmbi "$pat"
  expect '^gmbi: 3 mbox entries returned\.$' "3 entries listed"
  expect_n 3 $'^\t: indices <0>\towner_tid <t0>\tflags <1> = <PvmMboxPersistent >$' \
    "persistent entries without owner"
  # An entry another task put is locked against rme (pvm_delinfo answers
  # PvmDenied, as in PVM 3.4.6), even after its owner has gone.
  run rme 20 "" rme "${name:-none}" 0
  expect "^rme: $T on machine <.*> with context 0\.\$" "rme ran"
  expect "^rme: Key locked by another task, can't delete\.\$" "entry locked"
  status 255 rme
  run gmbi2 20 "" gmbi "$pat"
  expect '^gmbi: 3 mbox entries returned\.$' "3 entries left"
  ;;
mhf)
  # mhf_server registers in the mailbox; mhf_tickle (menu on stdin) loads
  # two message handlers in it and hits each, then tells it to exit.
  bg=$work/mhf_server.out
  say "starting mhf_server in the background"
  timeout --kill-after=5 40 mhf_server >"$bg" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q 'just inserted server' "$bg" && break
    sleep 0.1
  done
  run mhf_tickle 30 $'0\n1\n77\n0\n1\n4\n77\n0\n1\nhello there\n1\n78\n0\n6\n4\n78\n0\n6\n4242\n9\n' \
    mhf_tickle
  status 0 mhf_tickle
  expect 'will attempt loading message handler SC1 with src = t[0-9a-f]+ = [0-9]+,  tag = 77, ctx = 0' "SC1 asked"
  expect 'will ping IC1:int_catcher6 with integer <4242>' "IC1 hit"
  expect 'SEAT - server exits pvm and terminate self' "server told to exit"
  wait "$pid"
  rc=$?
  out=$bg
  sed "s/^/  | /" "$out"
  status 0 mhf_server
  expect 'LMH: AFTER load with pvm_addmhf\( src = t[0-9a-f]+, tag = 77, ctx = 0 \)  -> loaded SC1' "SC1 loaded"
  expect 'string_catcher1 received message -->> <hello there>' "SC1 ran"
  expect 'HIT:  ping target 1 - SC1   strings match <hello there>\.' "SC1 result"
  expect 'int_catcher6 received magic number -->> 4242\.' "IC1 ran"
  expect 'HIT:  ping target 6 - IC1   magic_numbers match 4242\.' "IC1 result"
  ;;
mbox)
  # The mailbox test sequence in mbox.c's head comment, on one host: each
  # step's exit status is the number of entries it put or found. Steps 1 to
  # 8 only: from step 9 on PVM 3.4.6 itself answers otherwise than the
  # comment says ("mbox favail" fails with status 255, and the later steps
  # inherit what it left).
  step=0
  mb() {
    local want=$1
    shift
    step=$((step + 1))
    run "mbox.$step" 30 "" mbox "$@"
    status "$want" "mbox $*"
  }
  mbg() {
    step=$((step + 1))
    say "background: mbox $*"
    timeout --kill-after=5 30 mbox "$@" >"$work/mbox.$step.out" 2>&1 &
    bgpids+=("$!:$step:$*")
    sleep 1
  }
  mbwait() {
    local p
    for p in "${bgpids[@]}"; do
      wait "${p%%:*}"
      rc=$?
      out=$work/mbox.$(echo "$p" | cut -d: -f2).out
      sed "s/^/  | /" "$out"
      status 1 "background mbox ${p#*:*:}"
    done
    bgpids=()
  }
  bgpids=()
  mb 1                                                   # 1
  mb 0 query                                             # 2
  mbg sleep=3; mb 1 query 0; mb 1 query; mbwait          # 3
  mb 0 query                                             # 4
  mbg sleep=3; mb 1 query 0; mb 1 query; mbwait
  mbg sleep=3; mb 1 query 0; mb 1 query; mbwait          # 5
  mb 0 query                                             # 6
  mbg sleep=3; mb 0 excl; mbwait                         # 7
  mb 0 query                                             # 8
  ;;
ptest)
  # 4 members of a frozen group exchange arrays with the first; its
  # usage line names <nprocs> [debugmask] [niter] [sync/iteration].
  console ptest 60 "spawn -4 -> ptest 4 0 8 1"
  status 0 console
  expect_n 4 "^\[1:$T\] [0-9a-f]+ understands 4 processes\$" "4 members"
  expect_n 8 "^\[1:$T\] Data validated from all tasks! ?\$" "8 iterations checked"
  expect_n 4 "^\[1:$T\] EOF\$" "4 tasks ended"
  no_line 'match failed|should have been' "no data errors"
  ;;
joinleave)
  # Readme: joins and leaves one group, a line every 100 pairs.
  run joinleave 60 "" joinleave 300
  status 0 joinleave
  expect '^joinleave 0x[0-9a-f]+ enrolled$' "enrolled"
  for n in 100 200 300; do
    expect "^Joined $n times\$" "$n joins"
  done
  no_line 'rror|Bad|fail' "no errors"
  ;;
gexamp)
  # Instance 0 spawns 3 more; all barrier and broadcast tid and instance.
  run gexamp 60 "" gexamp 4
  status 0 gexamp
  expect '^gexamp 0x[0-9a-f]+ 0$' "instance 0"
  expect_n 3 '^0x[0-9a-f]+$' "3 spawned"
  expect '^gexamp 0: sync$' "barrier"
  no_line 'rror|mismatch|doesn|wrong' "no errors"
  ;;
tst)
  run tst 30 "" tst
  status 0 tst
  expect '^joined prognosis 0, negative 0$' "joined two groups"
  expect '^left prognosis 0, negative 0$' "left both"
  ;;
thb)
  # thb joins 32 groups, checks the server with gettinst/gettid, spawns 4
  # tnb that barrier with it.
  run thb 60 "" thb 4
  status 0 thb
  expect_n 32 '^joined group[0-9]+$' "32 groups"
  expect '^spawning \.\.\. barrier on group0 $' "barrier"
  expect '^ leaving all the groups $' "leave"
  expect '^done\.$' "done"
  no_line "not myself|rror" "no errors"
  ;;
ge)
  run ge 60 "" ge 4
  status 0 ge
  expect '^ge 0x[0-9a-f]+ 0$' "instance 0"
  expect_n 3 '^0x[0-9a-f]+$' "3 spawned"
  expect '^group ge size 4 gid 0: sync$' "barrier"
  expect '^done$' "done"
  # "gid N doesn't match up!" is not checked: instance 0 checks the group
  # after the barrier while the others may already have left it (PVM 3.4.6
  # prints those lines too).
  no_line "rror" "no errors"
  ;;
tjl | tjf)
  run "$case_name" 60 "" "$case_name"
  status 0 "$case_name"
  expect_n 32 '^joined group[0-9]+$' "32 groups"
  no_line "not myself|rror" "no errors"
  ;;
gs)
  run gs 60 "" gs 4
  status 0 gs
  expect '^gs 0x[0-9a-f]+ enrolled$' "enrolled"
  expect_n 3 '^0x[0-9a-f]+$' "3 spawned"
  no_line 'rror|usage' "no errors"
  ;;
trsg | frsg)
  # Reduce, scatter and gather on 4 tasks, 5 elements each (stdin).
  run "$case_name" 60 $'4\n5\n' "$case_name"
  expect 'INPUT values: nprocs = +4 *, count = +5' "input read"
  expect 'Test OK: Sum of Squares of first +20 +integers is +2870' "sum of squares"
  expect 'Test Ok: Received \( *5\.0+ *, +2\.0+ *\)' "user-defined reduction"
  no_line 'ERROR' "no errors"
  ;;
*)
  say "unknown case"
  exit 2
  ;;
esac

if [ "$fails" -ne 0 ]; then
  say "$fails check(s) failed"
  exit 1
fi
say "OK"
exit 0
