#!/usr/bin/env bash
# What young-generation GC costs a leader under write load: the 3-process cluster of conf/node-[123].json, wrk PUT
# @64 connections (256-byte values over 100k keys, the side-by-side script) for WARM_S seconds, then SECS seconds
# recorded with JFR on the leader. Prints writes, req/s and p99, then G1's collections, the bytes they copied per
# write (jdk.EvacuationInformation: what survives a young collection, the part of a pause that grows with the load)
# and the pauses. Bytes copied per write hardly depend on how busy the machine is; the pauses and p99 do.
# Usage, from the project root after mvn package: bin/gc-put64.sh [JAR]   (WARM_S=30 SECS=30 by default)
set -u
proj=$(pwd); jar=${1:-$proj/target/raftline.jar}; bench=${BENCH:-$proj/../shared/bench}
WARM_S=${WARM_S:-30}; SECS=${SECS:-30}; work=$(mktemp -d /tmp/gc-put64.XXXXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=(); }
trap cleanup EXIT
. "$proj/bin/procs.sh"
start_nodes "$jar" "$proj/conf/node" "$work/p"
leader=$(wait_leader)
u=$(leader_url); lpid=${pids[$((leader - 1))]}
wrk -t2 -c64 -d"$WARM_S"s -s "$bench/raftline-put.lua" "$u" >/dev/null
jcmd "$lpid" JFR.start name=gc settings=profile filename="$work/leader.jfr" >/dev/null
out=$(wrk -t2 -c64 -d"$SECS"s --latency -s "$bench/raftline-put.lua" "$u")
jcmd "$lpid" JFR.stop name=gc >/dev/null
cleanup
jfr print --json --events jdk.EvacuationInformation,jdk.GarbageCollection "$work/leader.jfr" >"$work/gc.json"
python3 - "$work/gc.json" "$(echo "$out" | awk '/requests in/{print $1}')" \
  "$(echo "$out" | awk '/Requests\/sec/{print $2}')" "$(echo "$out" | awk '/^ +99%/{print $2}')" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))['recording']['events']
writes, rps, p99 = int(sys.argv[2]), sys.argv[3], sys.argv[4]
copied = sum(e['values']['bytesCopied'] for e in events if e['type'] == 'jdk.EvacuationInformation')
def millis(d):  # JFR prints durations as ISO-8601 ("PT0.0123S") or as nanoseconds
    return float(d[2:-1]) * 1000 if isinstance(d, str) else d / 1e6
pauses = sorted(millis(e['values']['sumOfPauses']) for e in events if e['type'] == 'jdk.GarbageCollection')
print(f'{writes} writes, {rps} req/s, p99 {p99}')
if pauses:
    print(f'{len(pauses)} collections, {copied / 1e6:.0f} MB copied = {copied / writes:.0f} bytes per write; pauses: '
          f'total {sum(pauses):.0f} ms, median {pauses[len(pauses) // 2]:.1f} ms, max {pauses[-1]:.1f} ms')
PY
echo "$work"
