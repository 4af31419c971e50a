#!/bin/bash
# Integration tests of `pvm`, the console, against a real pvmd: each case
# runs in its own throw-away virtual machine (private PVM_TMP, own PVM_VMID)
# that the console itself starts, and is halted and removed on every way out.
#
# usage: test_console.sh <pvm> <pvmd> <case>
# cases: conf id spawn_output spawn_file spawn_missing ps_kill misc halt unknown
#        stdin
#        json (needs jq)
#        interactive editing (need script(1); exit status 77 = skipped) reset
#        groups mbox tour (the README's tour, read from README.md)
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 <pvm> <pvmd> <case>" >&2
  exit 2
fi
PVM=$1
PVMD=$2
CASE=$3
for f in "$PVM" "$PVMD"; do
  [ -x "$f" ] || { echo "test_console: $f is missing; build first" >&2; exit 2; }
done

rt=$(mktemp -d "${TMPDIR:-/tmp}/pvmng-cons.XXXXXX") || exit 2
unset PVM_EXPORT PVM_WD PVM_PATH PVMNG_SOCKET PVMNG_TID PVM_ROOT PVMHOSTFILE \
  PVM_DEBUGGER
export PVM_TMP=$rt
export PVM_VMID="cons-$CASE-$$-$RANDOM"
PVM_VMID=${PVM_VMID:0:64}
export PVM_DPATH=$PVMD
# The console reads ~/.pvmrc in its interactive and stdin forms; the stdin
# case points HOME at the test directory for a moment.
HOME_SAVED=${HOME:-}
files=$rt/pvm-$(id -u)/pvmd.$PVM_VMID
out=$rt/out
failures=0

# Is pid a live (not zombie) process running our pvmd?
is_our_pvmd() {
  [ -n "$1" ] && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = \
    "$(readlink -f "$PVMD")" ]
}

# Pid of this VM's pvmd (from its lock file), if it is alive and ours.
daemon_pid() {
  local pid
  pid=$(grep -o '[0-9]\+' "$files.lock" 2>/dev/null | head -n 1)
  is_our_pvmd "$pid" && echo "$pid"
}

# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  local st=$? pid
  trap - EXIT INT TERM HUP
  if [ -n "$(daemon_pid)" ]; then
    timeout 10 "$PVM" -c halt </dev/null >/dev/null 2>&1
    for _ in $(seq 50); do
      [ -z "$(daemon_pid)" ] && break
      sleep 0.1
    done
    pid=$(daemon_pid)
    if [ -n "$pid" ]; then
      echo "test_console[$CASE]: halt left pvmd $pid running; killing it" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  if [ "$st" -ne 0 ] && [ -s "$files.log" ]; then
    echo "---- pvmd log (last 30 lines) ----" >&2
    tail -n 30 "$files.log" >&2
  fi
  rm -rf "$rt"
  echo "test_console[$CASE]: exit status $st"
  exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail() {
  echo "FAIL [$CASE]: $*" >&2
  if [ -s "$out" ]; then
    echo "---- console output ----" >&2
    cat "$out" >&2
    echo "------------------------" >&2
  fi
  failures=$((failures + 1))
}

# cons 'commands' : runs the one-shot console; output in $out, status in $rc.
cons() {
  timeout --kill-after=5 90 "$PVM" -c "$1" </dev/null >"$out" 2>&1
  rc=$?
  [ "$rc" -eq 124 ] && fail "pvm -c '$1' timed out"
}

expect_ok() {
  [ "$rc" -eq 0 ] || fail "$1: exit status $rc, expected 0"
}

expect_line() { # regex, what
  grep -Eq -- "$1" "$out" || fail "$2: no line matching /$1/"
}

no_line() { # regex, what
  ! grep -Eq -- "$1" "$out" || fail "$2: unexpected line matching /$1/"
}

count_lines() { # regex
  grep -Ec -- "$1" "$out"
}

case $CASE in
conf)
  cons conf
  expect_ok conf
  expect_line '^1 host, 1 data format$' "conf header"
  expect_line '^ +HOST +DTID +ARCH +SPEED +DSIG$' "conf columns"
  expect_line '^ +[^ ]+ +[0-9a-f]+ +LINUX64 +[0-9]+ 0x[0-9a-f]{8}$' \
    "conf host line"
  [ -n "$(daemon_pid)" ] || fail "the console did not leave a pvmd running"
  [ -S "$files.sock" ] || fail "no socket $files.sock"
  # A second console joins the running daemon.
  cons 'conf; quit'
  expect_ok "second conf"
  expect_line '^pvmd still running\.$' "quit message"
  ;;

id)
  cons id
  expect_ok id
  [ "$(wc -l <"$out")" -eq 1 ] || fail "id printed more than one line"
  expect_line '^t[0-9a-f]+$' "id"
  ;;

spawn_output)
  cons 'spawn -> /bin/echo hello'
  expect_ok "spawn ->"
  expect_line '^\[1\]$' "job number"
  expect_line '^1 successful$' "spawn count"
  tid=$(grep -E '^t[0-9a-f]+$' "$out" | head -n 1)
  [ -n "$tid" ] || fail "no tid line"
  expect_line "^\[1:$tid\] hello\$" "output line with the tid"
  expect_line "^\[1:$tid\] EOF\$" "EOF line"
  expect_line '^\[1\] finished$' "job finished line"
  # Two tasks, several lines each, and output without a final newline.
  cons 'spawn -2 -> /bin/sh -c "echo a; echo b; printf c"; echo after'
  expect_ok "spawn -2 ->"
  [ "$(count_lines '^\[1:t[0-9a-f]+\] (a|b|c)$')" -eq 6 ] ||
    fail "expected 6 output lines from 2 tasks"
  [ "$(count_lines '^\[1:t[0-9a-f]+\] EOF$')" -eq 2 ] || fail "expected 2 EOF"
  # The script waited for the output before going on.
  [ "$(tail -n 1 "$out")" = after ] || fail "echo ran before the output ended"
  ;;

spawn_file)
  cons "spawn ->$rt/job.txt /bin/echo x y; spawn ->>$rt/job.txt /bin/echo z"
  expect_ok "spawn ->file"
  grep -Eq '^\[1:t[0-9a-f]+\] x y$' "$rt/job.txt" || fail "x y not in the file"
  grep -Eq '^\[2:t[0-9a-f]+\] z$' "$rt/job.txt" || fail "->> did not append"
  no_line 'x y' "output went to the terminal"
  ;;

spawn_missing)
  # A program found nowhere: PVM's two lines, then where the daemon looked.
  cons 'spawn cons-no-such-program'
  expect_line '^0 successful$' "spawn count"
  expect_line '^No such file$' "the slot's error"
  expect_line '^spawn: no executable "cons-no-such-program" on host .*; looked in: .*/bin.*PVM_PATH' \
    "where the daemon looked"
  ;;

reset)
  # A task that set PvmNoReset survives; plain tasks are killed; the
  # console that resets stays.
  cons 'spawn -2 /bin/sleep 30'
  expect_ok "spawn -2"
  "$IT_NORESET" &
  keeper=$!
  for _ in $(seq 50); do
    cons 'ps -a'
    [ "$(count_lines 'it_noreset')" -eq 1 ] && break
    sleep 0.1
  done
  [ "$(count_lines 'it_noreset')" -eq 1 ] || fail "the PvmNoReset task did not join"
  cons reset
  expect_ok reset
  sleep 0.5
  cons 'ps -a'
  [ "$(count_lines 'sleep')" -eq 0 ] || fail "reset left sleep tasks"
  [ "$(count_lines 'it_noreset')" -eq 1 ] || fail "reset killed the PvmNoReset task"
  kill "$keeper" 2>/dev/null || true
  wait "$keeper" 2>/dev/null || true
  ;;

groups)
  cons groups
  expect_ok "groups with none"
  expect_line '^no groups$' "groups with none"
  cons "spawn -2 $IT_JOINER workers"
  expect_ok "spawn joiners"
  mapfile -t tids < <(grep -E '^t[0-9a-f]+$' "$out")
  for _ in $(seq 50); do
    cons groups
    grep -Eq '^workers +2 ' "$out" && break
    sleep 0.1
  done
  expect_line '^GROUP +SIZE +FROZEN +MEMBERS' "groups header"
  expect_line '^workers +2 +no ' "groups line"
  expect_line " 0:${tids[0]}| 0:${tids[1]}" "instance 0"
  cons 'groups nosuch'
  [ "$rc" -eq 1 ] || fail "groups of an unknown group: status $rc"
  ;;

mbox)
  # put and names, as PVM 3.4.6's console prints them; an entry goes with
  # the console that put it unless persistent; reset removes those left.
  cons 'names'
  expect_ok "names with none"
  [ -s "$out" ] && fail "names printed something for an empty mailbox"
  cons 'put job 0; put multi 2; put multi 2 x; put keep 1; put keep 1; names; id'
  expect_ok "put and names"
  me=$(tail -n 1 "$out")
  hex=${me#t}
  dec=$((16#$hex))
  [ "$(sed -n '1,4p' "$out")" = "$(printf '<job>:\n\tindex=0 owner=0x%s/%d flags=0x0\n\n<multi>:' "$hex" "$dec")" ] ||
    fail "names layout"
  expect_line "^	index=1 owner=0x$hex/$dec flags=0x2\$" "second multi entry"
  expect_line "^	index=0 owner=0x$hex/$dec flags=0x1\$" "persistent entry"
  [ "$(count_lines '^<')" -eq 3 ] || fail "expected 3 classes"
  cons 'put multi 2; put other 0; names mul'
  expect_line '^<multi>:$' "names with a pattern"
  [ "$(count_lines '^<')" -eq 1 ] || fail "names mul listed other classes"
  # The console that put them has gone: only the persistent entry is left,
  # without an owner, and locked against this console.
  cons 'names'
  [ "$(count_lines '^<')" -eq 1 ] || fail "entries outlived their console"
  expect_line '^	index=0 owner=0x0/0 flags=0x1$' "orphaned persistent entry"
  cons 'put keep 0'
  [ "$rc" -eq 1 ] || fail "put over a locked entry: status $rc"
  expect_line '^Permission denied$' "put over a locked entry"
  cons 'put'
  expect_line '^put: wrong #args' "put without args"
  cons 'put x y'
  expect_line "^put: 'y' is not a number" "put with bad flags"
  cons 'help put'
  expect_line '^Syntax:  put name flags$' "help put"
  cons 'reset info other; names'
  [ "$(count_lines '^<keep>')" -eq 1 ] || fail "reset info of another class"
  cons 'reset; names'
  expect_ok reset
  [ "$(count_lines '^<')" -eq 0 ] || fail "reset left an orphaned entry"
  cons 'put keep2 1'
  cons 'reset info keep2 0; names'
  [ "$(count_lines '^<')" -eq 0 ] || fail "reset info class index"
  ;;

ps_kill)
  cons 'spawn -3 /bin/sleep 30'
  expect_ok "spawn -3"
  expect_line '^3 successful$' "spawn count"
  mapfile -t tids < <(grep -E '^t[0-9a-f]+$' "$out")
  [ "${#tids[@]}" -eq 3 ] || fail "expected 3 tids"
  cons 'ps -a'
  expect_ok "ps -a"
  expect_line '^ +HOST +TID +FLAG 0x COMMAND$' "ps columns"
  [ "$(count_lines 'sleep')" -eq 3 ] || fail "ps -a does not list 3 sleep tasks"
  no_line '\(cons\)' "ps -a shows the console without -x"
  cons 'ps -ax'
  expect_line '\(cons\)' "ps -x shows the console"
  cons 'ps -al'
  expect_line '^ +HOST +TID +PTID +PID +FLAG 0x COMMAND$' "ps -l columns"
  cons "pstat ${tids[0]}"
  expect_ok pstat
  expect_line "^t +${tids[0]#t}  run\$" "pstat run"
  cons "kill ${tids[0]}"
  expect_ok kill
  sleep 0.5
  cons 'ps -a'
  [ "$(count_lines 'sleep')" -eq 2 ] || fail "kill did not remove the task"
  no_line " ${tids[0]#t} " "killed task still listed"
  cons "pstat ${tids[0]}"
  [ "$rc" -eq 1 ] || fail "pstat of a dead task: status $rc, expected 1"
  expect_line "^t +${tids[0]#t}  No such task\$" "pstat of a dead task"
  cons "sig TERM ${tids[1]}"
  expect_ok sig
  cons 'jobs'
  expect_ok jobs
  ;;

misc)
  cons 'echo hello   world "a  b"'
  expect_ok echo
  expect_line '^hello world a  b$' echo
  cons version
  expect_ok version
  expect_line '^3\.4\.6$' "PVM version"
  expect_line '^PVM-NG ' "PVM-NG version"
  cons help
  expect_ok help
  expect_line '^Commands are:$' "help list"
  for c in add alias conf delete echo export halt help id jobs kill mstat ps \
    names pstat put quit reset setenv setopt sig spawn unalias unexport \
    version; do
    expect_line "^  $c " "help lists $c"
  done
  cons 'help spawn'
  expect_line '^Syntax:  spawn ' "help spawn"
  cons 'setenv CONS_T1 one two; setenv CONS_T2=three; setenv CONS_T1; setenv'
  expect_ok setenv
  expect_line '^one two$' "setenv name prints the value"
  expect_line '^CONS_T2=three$' "setenv lists the environment"
  cons 'export; export AAA BBB; export; unexport AAA; export'
  expect_ok export
  expect_line '^PVM_EXPORT=$' "empty export list"
  expect_line '^PVM_EXPORT=AAA:BBB$' "export list"
  expect_line '^PVM_EXPORT=BBB$' "unexport"
  # The exported variable reaches a spawned task.
  # shellcheck disable=SC2016 # expanded by the spawned shell
  cons 'setenv CONS_X=passed; export CONS_X; spawn -> /bin/sh -c "echo v=$CONS_X"'
  expect_line '^\[1:t[0-9a-f]+\] v=passed$' "exported variable in the task"
  cons conf
  host=$(awk 'NR == 3 { print $1 }' "$out")
  cons "mstat $host"
  expect_ok mstat
  expect_line "^ +$host  ok\$" "mstat of the host"
  # tickle: the debug mask, set and read back; the tables go to the log.
  cons 'tickle 5; tickle 6 1; tickle 5; tickle 6 0; tickle 1; tickle 2; tickle 0'
  expect_ok tickle
  expect_line '^\( 0 \)$' "tickle 5: debug mask 0"
  expect_line '^\( 1 \)$' "tickle 5 after tickle 6 1"
  grep -q 'tickle 1: host table, 1 host' "$files.log" || fail "tickle 1: no host table in the log"
  grep -q 'tickle 2: task table' "$files.log" || fail "tickle 2: no task table in the log"
  grep -q 'tickle 0: memory [0-9]* KiB resident' "$files.log" || fail "tickle 0: no counters in the log"
  cons 'tickle 99'
  [ "$rc" -eq 1 ] || fail "tickle 99: status $rc"
  expect_line '^tickle: Bad parameter$' "tickle 99 refused"
  cons 'mstat no.such.host'
  [ "$rc" -eq 1 ] || fail "mstat of an unknown host: status $rc"
  expect_line '^ +no\.such\.host  No such host$' "mstat unknown host"
  cons 'alias say echo said; say it; alias'
  expect_ok alias
  expect_line '^said it$' "alias runs"
  expect_line "^say	echo said\$" "alias list"
  cons 'getopt PvmRoute; setopt PvmAutoErr 0; getopt'
  expect_ok getopt
  expect_line '^PvmRoute Currently Set to [0-9]+$' getopt
  expect_line '^PvmAutoErr Changed from [0-9]+ to 0$' setopt
  cons 'setopt NoSuchOpt 1'
  [ "$rc" -eq 1 ] || fail "setopt of an unknown option: status $rc"
  cons 'trace'
  expect_line '^   addhosts +gettid +pkfloat +setopt' "trace"
  cons 'mstat'
  [ "$rc" -eq 1 ] || fail "mstat without args: status $rc"
  expect_line '^mstat: wrong #args' "mstat without args"
  ;;

halt)
  cons conf
  expect_ok conf
  pid=$(daemon_pid)
  [ -n "$pid" ] || fail "no pvmd after conf"
  cons halt
  expect_ok halt
  for _ in $(seq 50); do
    is_our_pvmd "$pid" || break
    sleep 0.1
  done
  is_our_pvmd "$pid" && fail "pvmd $pid still running after halt"
  [ -e "$files.sock" ] && fail "socket $files.sock left after halt"
  ;;

unknown)
  cons 'echo one; frobnicate; echo two'
  [ "$rc" -eq 1 ] || fail "unknown command: status $rc, expected 1"
  expect_line "^unknown command 'frobnicate'; try help\$" "unknown command hint"
  expect_line '^two$' "later commands still run"
  cons 'echo "unterminated'
  [ "$rc" -eq 1 ] || fail "syntax error: status $rc, expected 1"
  cons 'spawn /no/such/program'
  [ "$rc" -eq 1 ] || fail "spawn of a missing file: status $rc, expected 1"
  expect_line '^0 successful$' "spawn failure count"
  cons 'kill zz'
  [ "$rc" -eq 1 ] || fail "kill zz: status $rc, expected 1"
  cons 'delete no.such.host'
  [ "$rc" -eq 1 ] || fail "delete of an unknown host: status $rc, expected 1"
  ;;

stdin)
  export HOME=$rt
  printf 'alias hi echo rc-alias\n' >"$rt/.pvmrc"
  printf 'echo first\nid\n\n# a comment\nhi\nspawn -> /bin/echo piped\necho last\n' |
    timeout --kill-after=5 90 "$PVM" >"$out" 2>&1
  rc=$?
  expect_ok "commands on stdin"
  no_line 'pvm>' "prompt printed when stdin is not a terminal"
  expect_line '^first$' "first command"
  expect_line '^t[0-9a-f]+$' "id"
  expect_line '^rc-alias$' ".pvmrc alias"
  expect_line '^\[1:t[0-9a-f]+\] piped$' "spawn output"
  [ "$(tail -n 1 "$out")" = last ] || fail "last line is not 'last'"
  printf 'echo x\nnosuch\n' | timeout 60 "$PVM" >"$out" 2>&1
  rc=$?
  [ "$rc" -eq 1 ] || fail "stdin with an unknown command: status $rc"
  export HOME=$HOME_SAVED
  ;;

interactive)
  # A terminal through script(1): the prompt, and output that arrives while
  # the console waits at the prompt.
  if ! command -v script >/dev/null 2>&1; then
    echo "SKIP [$CASE]: script(1) is not installed"
    exit 77
  fi
  export HOME=$rt
  { sleep 1; printf 'spawn -> /bin/sh -c "sleep 1; echo late"\n'; sleep 3
    printf 'id\nquit\n'; sleep 1; } |
    timeout --kill-after=5 60 script -qfc "$PVM" /dev/null >"$out" 2>&1
  rc=$?
  export HOME=$HOME_SAVED
  tr -d '\r' <"$out" >"$out.clean" && mv "$out.clean" "$out"
  expect_ok "interactive console"
  expect_line '^pvm> ' "prompt"
  expect_line '^\[1:t[0-9a-f]+\] late$' "output shown at the prompt"
  expect_line '^\[1\] finished$' "job finished at the prompt"
  expect_line '^(pvm> )?t[0-9a-f]+$' "id after the output"
  expect_line 'pvmd still running\.$' "quit"
  ;;

json)
  # The --json forms: each parses, and holds the fields a script needs.
  command -v jq >/dev/null || { echo "SKIP [$CASE]: jq is not installed"; exit 77; }
  cons 'conf --json'
  expect_ok "conf --json"
  [ "$(jq -r '.nhost, .hosts[0].tid_name, .hosts[0].arch' "$out" | tr '\n' ' ')" = \
    "1 t40000 LINUX64 " ] || fail "conf --json: $(cat "$out")"
  cons 'spawn /bin/sleep 30'
  expect_ok "spawn"
  cons 'ps --json -a'
  expect_ok "ps --json"
  jq -e '.tasks | map(select(.command | test("sleep"))) | length == 1' \
    "$out" >/dev/null || fail "ps --json lists no sleep task: $(cat "$out")"
  jq -e '.tasks[0].tid == (.tasks[0].tid_name | ltrimstr("t") | explode |
    reduce .[] as $c (0; . * 16 + ($c | if . >= 97 then . - 87 else . - 48 end)))' \
    "$out" >/dev/null || fail "ps --json: tid and tid_name disagree"
  cons 'mstat --json nosuchhost'
  [ "$rc" -ne 0 ] || fail "mstat --json of an unknown host succeeded"
  [ "$(jq -r '.hosts[0].status' "$out")" = "No such host" ] ||
    fail "mstat --json: $(cat "$out")"
  cons 'put jobs 0; names --json'
  [ "$(jq -r '.classes[0].name, (.classes[0].entries | length)' "$out" |
    tr '\n' ' ')" = "jobs 1 " ] || fail "names --json: $(cat "$out")"
  cons 'groups --json'
  jq -e '.groups == []' "$out" >/dev/null || fail "groups --json: $(cat "$out")"
  cons 'reset'
  ;;

editing)
  # Line editing at a terminal: the up arrow brings back the last line, tab
  # completes a command, the history is kept in ~/.pvm_history (private) for
  # the next console; input with control characters is never echoed raw.
  if ! command -v script >/dev/null 2>&1; then
    echo "SKIP [$CASE]: script(1) is not installed"
    exit 77
  fi
  export HOME=$rt
  { sleep 1; printf 'echo first\n'; sleep 0.5; printf '\033[A\n'; sleep 0.5
    printf 'versi\t\n'; sleep 0.5; printf 'quit\n'; sleep 1; } |
    timeout --kill-after=5 60 script -qfc "$PVM" /dev/null >"$out" 2>&1
  rc=$?
  tr -d '\r' <"$out" >"$out.clean" && mv "$out.clean" "$out"
  expect_ok "console at a terminal"
  [ "$(count_lines '^first$')" -eq 2 ] ||
    fail "the up arrow did not run 'echo first' again"
  expect_line '^3\.4\.6$' "tab completed 'versi' to version"
  grep -q '^echo\\040first$' "$rt/.pvm_history" ||
    fail "no history in ~/.pvm_history"
  [ "$(stat -c %a "$rt/.pvm_history")" = 600 ] ||
    fail "the history file is not private (mode 600)"
  # The next console starts with that history.
  { sleep 1; printf '\033[A\033[A\033[A\n'; sleep 0.5; printf 'quit\n'; sleep 1; } |
    timeout --kill-after=5 60 script -qfc "$PVM" /dev/null >"$out" 2>&1
  tr -d '\r' <"$out" >"$out.clean" && mv "$out.clean" "$out"
  expect_line '^first$' "history from the earlier console"
  export HOME=$HOME_SAVED
  cons "$(printf 'conf\033[A')"
  expect_line "^unknown command 'conf\\\\x1b\\[A'; try help$" \
    "control characters shown escaped"
  ;;

tour)
  # The README's five-minute tour, word for word: its console commands are
  # taken from README.md and typed (half a second apart) into a console
  # started as the README starts it, with PVM_PATH at the programs. Every
  # line the README shows must come out, with the host name the daemon
  # reports, blanks squeezed and ps's flag column left out; the last `ps -a`
  # must show exactly the README's tasks: workers that wait for work.
  readme=$(dirname "$0")/../../README.md
  [ -r "$readme" ] || { fail "cannot read $readme"; exit 1; }
  block=$(awk '/^## A five-minute tour/ {t = 1}
               t && /^```/ {if (++n == 2) exit; next}
               t && n == 1' "$readme")
  # shellcheck disable=SC2016 # the README's line, word for word
  [ "$(printf '%s\n' "$block" | head -n 1)" = \
    '$ PVM_PATH=$PWD/build/bin ./build/bin/pvm' ] ||
    fail "the tour no longer starts the console as this test does"
  mapfile -t cmds < <(printf '%s\n' "$block" | sed -n 's/^pvm> \(..*\)$/\1/p')
  [ "${#cmds[@]}" -ge 7 ] || fail "found ${#cmds[@]} commands in the tour"
  export HOME=$rt
  for c in "${cmds[@]}"; do
    printf '%s\n' "$c"
    sleep 0.5
  done | PVM_PATH=$(dirname "$PVM") timeout --kill-after=5 90 "$PVM" \
    >"$out" 2>&1
  rc=$?
  export HOME=$HOME_SAVED
  expect_ok "the tour"
  host=$(awk '$3 == "LINUX64" {print $1; exit}' "$out")
  [ -n "$host" ] || fail "no host in conf's output"
  # squeeze blanks, drop the flags of ps (FLAG 0x column), host -> $host
  norm() {
    sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//' |
      sed -E 's#^([^ ]+ [0-9a-f]+) [0-9a-f]+/[a-zA-Z,]* #\1 #'
  }
  norm <"$out" >"$out.norm"
  printf '%s\n' "$block" | grep -v -e '^pvm>' -e '^\$ ' |
    sed -E "s/(^| )vm( |\$)/\1$host\2/g" | norm >"$rt/want"
  while IFS= read -r line; do
    grep -Fxq -- "$line" "$out.norm" || fail "the tour's line '$line' did not come"
  done <"$rt/want"
  # After `kill`: the README's last ps listing, and nothing more.
  last_ps() { awk '/^HOST TID/ {n = NR; delete l; c = 0} n {l[c++] = $0}
                   END {for (i = 0; i < c; i++) print l[i]}' "$1"; }
  [ "$(last_ps "$out.norm")" = "$(last_ps "$rt/want")" ] ||
    fail "the last ps -a shows '$(last_ps "$out.norm")'"
  ;;

*)
  echo "test_console: unknown case '$CASE'" >&2
  exit 2
  ;;
esac

[ "$failures" -eq 0 ] || exit 1
echo "PASS [$CASE]"
exit 0
