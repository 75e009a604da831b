#!/usr/bin/env bash
# Two builds side by side on writes sent through a follower (each forwarded to the leader): for each round, each jar
# in turn (alternating which goes first) starts a fresh 3-process cluster, runs WARM_S seconds of PUT @64 through a
# follower, then measures 10 s of the same with wrk and the CPU the three processes used (/proc/PID/stat).
# Usage, from the project root: bin/ab-forward.sh JAR_A JAR_B   (ROUNDS=3 WARM_S=60 by default)
# Needs wrk; ports 8081-8083, 8091-8093, 5701-5703 free; stops its processes on exit.
set -u
proj=$(pwd); bench=${BENCH:-$proj/../shared/bench}; jars=("$1" "$2"); pids=()
. "$proj/bin/procs.sh"
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=(); }
trap cleanup EXIT
for r in $(seq 1 "${ROUNDS:-3}"); do
  order="0 1"; [ $((r % 2)) = 0 ] && order="1 0"
  for i in $order; do
    work=$(mktemp -d /tmp/ab-forward.XXXXXX)
    start_nodes "$(realpath "${jars[$i]}")" "$proj/conf/node" "$work"
    leader=$(wait_leader); u=http://127.0.0.1:808$(( leader % 3 + 1 ))
    wrk -t2 -c64 -d"${WARM_S:-60}"s -s "$bench/raftline-put.lua" "$u" > /dev/null
    c0=$(ticks "${pids[@]}"); set -- $(wrk_run raftline-put.lua 64 "$u" 10); c1=$(ticks "${pids[@]}")
    echo "round $r ${jars[$i]}: $1 writes/s, p50 $2, p99 $3, $(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / ${1%.*} / 10 )) us CPU per write"
    cleanup; rm -rf "$work"
  done
done
