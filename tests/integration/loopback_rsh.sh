#!/bin/sh
# $PVM_RSH of a loopback virtual machine (vm.sh --loopback): called by the
# master daemon as `loopback_rsh.sh [options] HOST COMMAND` to start the
# daemon of HOST, it runs COMMAND on this machine instead, with the second
# host's own runtime directory ($PVMNG_LOOPBACK_TMP) and its own daemons'
# port, as ssh to another machine would. Like ssh, the words of COMMAND are
# joined and run by /bin/sh -c, and stdin (the join credential) is passed on.
while [ $# -gt 0 ]; do
  case $1 in
  -l | -p | -o | -i) shift 2 ;;
  -*) shift ;;
  *) break ;;
  esac
done
[ $# -ge 2 ] || {
  echo "loopback_rsh.sh: usage: loopback_rsh.sh [options] host command" >&2
  exit 255
}
[ -n "${PVMNG_LOOPBACK_TMP:-}" ] || {
  echo "loopback_rsh.sh: PVMNG_LOOPBACK_TMP is not set (run under vm.sh --loopback)" >&2
  exit 255
}
shift
exec env PVM_TMP="$PVMNG_LOOPBACK_TMP" PVMNG_PEER_PORT=0 /bin/sh -c "$*"
