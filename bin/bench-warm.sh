#!/usr/bin/env bash
# Steady state, side by side: the method of ../shared/bench/side-by-side.sh (same wrk scripts, 3-node etcd and
# Raftline as 3 processes from conf/node-[123].json on loopback, wrk -t2 against the leader), except that BOTH
# systems first run WARM_S seconds of the same load before anything is measured. side-by-side.sh warms up with
# one 10 s run, which an etcd binary does not need and three JVMs sharing two cores do (their JIT compilers
# are still busy when the measured runs start); this script shows both states.
#
# Usage, from the project root: bin/bench-warm.sh      (SECS=10 WARM_S=60 by default; CONF=conf/grpc-node for gRPC;
# JAVA_OPTS go to the three node JVMs, e.g. a GC to try; SKIP_ETCD=1 measures Raftline alone)
# Needs: apt-get install -y etcd-server wrk, a built target/raftline.jar, and ../shared/bench (the wrk scripts).
set -u
proj=$(pwd); bench=${BENCH:-$proj/../shared/bench}; SECS=${SECS:-10}; WARM_S=${WARM_S:-60}; CONF=${CONF:-conf/node}
work=$(mktemp -d /tmp/bench-warm.XXXXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=(); }
trap cleanup EXIT
warm() { # $1 put-script $2 get-script $3 url: WARM_S seconds, alternating writes and reads at 64 connections
  local left=$WARM_S
  while [ "$left" -gt 0 ]; do wrk_run "$1" 64 "$3" 10 >/dev/null; wrk_run "$2" 64 "$3" 10 >/dev/null; left=$((left - 20)); done
}
measure() { # $1 label $2 put-script $3 get-script $4 url
  local label=$1 put=$2 get=$3 url=$4 tag script conns name r
  for t in "put16 $put 16 PUT@16" "put64 $put 64 PUT@64" "get64 $get 64 GET@64"; do
    read -r tag script conns name <<<"$t"
    r=$(wrk_run "$script" "$conns" "$url" "$SECS"); echo "$label $tag $r" >> "$work/r"
    read -r rps p50 p99 non2xx <<<"$r"
    printf "%-10s %-8s %10s %9s %9s %8s\n" "$label" "$name" "$rps" "$p50" "$p99" "$non2xx"
  done
}
. "$proj/bin/procs.sh"
printf "%-10s %-8s %10s %9s %9s %8s\n" system test req/s p50 p99 non2xx
if [ "${SKIP_ETCD:-0}" != 1 ]; then
  start_etcd "$work/etcd"
  u=$(etcd_leader_url)
  warm etcd-put.lua etcd-get.lua "$u"
  measure etcd etcd-put.lua etcd-get.lua "$u"
  cleanup
fi
# Raftline, one node per process
start_nodes "$proj/target/raftline.jar" "$proj/$CONF" "$work/p"
wait_leader >/dev/null
u=$(leader_url)
warm raftline-put.lua raftline-get.lua "$u"
measure raftline raftline-put.lua raftline-get.lua "$u"
cleanup
python3 - "$work/r" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    f = line.split(); r[(f[0], f[1])] = (float(f[2]), f[4])
print('raftline/etcd', ' '.join(f'{t}: {r[("raftline", t)][0] / r[("etcd", t)][0]:.2f}x (p99 {r[("raftline", t)][1]} vs {r[("etcd", t)][1]})'
                                for t in ('put16', 'put64', 'get64') if ('raftline', t) in r and ('etcd', t) in r))
PY
