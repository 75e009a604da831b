#!/usr/bin/env bash
# Multi-Raft, measured: aggregate durable write throughput of the 3-process cluster with 1 Raft group
# (conf/node-[123].json) and with 16 groups (conf/sharded-node-[123].json), same machine, same command, one after
# the other: `raftline.jar bench` with --target leader, which on the sharded cluster sends each key to its group's
# leader (the leaders are spread over the three processes). Each cluster first runs WARM_S seconds of the same load.
#
# Usage, from the project root: bin/bench-groups.sh        (SECS=15 WARM_S=30 CLIENTS="16 64 256" by default;
# CONF1=... CONF16=... name other configuration prefixes, e.g. copies with "storage": {"engine": "memory"}; JAVA_OPTS
# go to the node JVMs)
# Needs a built target/raftline.jar; ports 8081-8083, 8091-8093, 5701-5703 free; stops its processes on exit.
set -u
proj=$(pwd); SECS=${SECS:-15}; WARM_S=${WARM_S:-30}; CLIENTS=${CLIENTS:-"16 64 256"}
work=$(mktemp -d /tmp/bench-groups.XXXXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=(); }
trap cleanup EXIT
bench() { java -jar "$proj/target/raftline.jar" bench --url http://127.0.0.1:8081 --value-size 256 --keys 100000 "$@"; }
run() { # $1 label $2 config prefix
  local label=$1 conf=$2 c out
  mkdir -p "$work/$label"
  for n in 1 2 3; do
    (cd "$work/$label" && exec java ${JAVA_OPTS:-} -jar "$proj/target/raftline.jar" node --conf "$(cd "$proj" && realpath "$conf-$n.json")" \
      >"$work/$label/n$n.log" 2>&1) &
    pids+=($!)
  done
  # Up once every group has a leader (a cluster of one group has no "groups" list).
  for i in $(seq 1 240); do
    curl -s -m1 http://127.0.0.1:8081/v1/cluster | python3 -c 'import json,sys
d=json.load(sys.stdin); sys.exit(0 if d.get("leader") and all(g["leader"] for g in d.get("groups", [])) else 1)' \
      2>/dev/null && break
    sleep 0.5
  done
  bench --clients 64 --duration "${WARM_S}s" --warmup 1s >/dev/null
  for c in $CLIENTS; do
    out=$(bench --clients "$c" --duration "${SECS}s" --warmup 2s)
    echo "$out" | sed -n 's/^writes: /  /p' | sed "s/^/$label @$c:/"
    echo "$out" | awk -v l="$label" -v c="$c" '/^writes:/{sub("/s,","",$2); print l, c, $2}' >> "$work/r"
  done
  curl -s http://127.0.0.1:8081/v1/cluster | python3 -c 'import json,sys,collections
d=json.load(sys.stdin); g=d.get("groups")
print("  leaders per node:", dict(collections.Counter(x["leader"] for x in g)) if g else {d["leader"]: 1})'
  cleanup
  rm -rf "$work/$label"/data
}
echo "bench-groups: $(date -u +%FT%TZ), $(nproc) cores, ${SECS}s per run after ${WARM_S}s of warm-up, 256-byte values"
run one-group ${CONF1:-conf/node}
run 16-groups ${CONF16:-conf/sharded-node}
python3 - "$work/r" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    label, c, rps = line.split(); r[(label, c)] = float(rps)
for c in sorted({c for _, c in r}, key=int):
    if ("one-group", c) in r and ("16-groups", c) in r:
        print(f"@{c} clients: 16 groups {r[('16-groups', c)]:.0f}/s vs 1 group {r[('one-group', c)]:.0f}/s:"
              f" {r[('16-groups', c)] / r[('one-group', c)]:.2f}x")
PY
