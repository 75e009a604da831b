#!/usr/bin/env bash
# Multi-Raft, measured: aggregate durable write throughput of the 3-process cluster with 1 Raft group
# (conf/node-[123].json) and with 16 groups (conf/sharded-node-[123].json), same machine, same command, interleaved.
#
# Both clusters run at the same time (the 16-group one on ports shifted by 100: HTTP 8181-8183, RESP 6481-6483,
# Hazelcast 5801-5803, admin 8191-8193), each idle while the other is measured, and every point is measured ROUNDS
# times on each, alternating which goes first. Why: this machine's own speed drifts by tens of percent from one
# minute to the next (`python3 bin/cpu-drift.py`), so two clusters measured one after the other, as this script did
# until 2026-12-02, carry that drift in their ratio; alternated, each round compares them on the same machine.
# The load is `raftline.jar bench --target leader` (on the sharded cluster each key goes to its group's leader; the
# leaders are spread over the three processes), 256-byte values over 100,000 keys. Reported per point: each
# cluster's median writes/s and range, its median p99, the median of the per-round ratios (16 / 1) and their range,
# and the CPU the three processes of each used per write (from /proc). The idle cluster's CPU during the other's
# runs is printed too (ticks and keepalives: a few percent of one core).
#
# Usage, from the project root: bin/bench-groups.sh   (ROUNDS=3 SECS=15 WARM_S=60 CLIENTS="16 64 256" by default;
# CONF1=... CONF16=... name other configuration prefixes, e.g. copies with "storage": {"engine": "memory"};
# JAVA_OPTS go to the node JVMs; JAR=... another build of the nodes)
# Needs a built target/raftline.jar; ports 8081-8083, 8181-8183, 6381-6383, 6481-6483, 8091-8093, 8191-8193,
# 5701-5703, 5801-5803 free; stops its processes on exit.
set -u
proj=$(pwd); SECS=${SECS:-15}; WARM_S=${WARM_S:-60}; ROUNDS=${ROUNDS:-3}; CLIENTS=${CLIENTS:-"16 64 256"}
jar=$(realpath "${JAR:-$proj/target/raftline.jar}")
work=$(mktemp -d /tmp/bench-groups.XXXXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=(); }
trap cleanup EXIT
. "$proj/bin/procs.sh"

# shifted SRC_PREFIX DST_PREFIX: copies of SRC_PREFIX-[123].json with every port moved up by 100 and their own
# data directories and cluster name, so that they run beside the originals.
shifted() {
  python3 - "$1" "$2" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
for i in (1, 2, 3):
    c = json.load(open(f"{src}-{i}.json"))
    c["cluster_name"] = c.get("cluster_name", "raftline") + "-shifted"
    for n in c["nodes"]:
        for k in ("http_port", "resp_port", "bus_port"):
            if k in n:
                n[k] += 100
        n["data_dir"] = f"./data/shifted-node-{n['id']}"
    if "admin" in c and "port" in c["admin"]:
        c["admin"]["port"] += 100
    json.dump(c, open(f"{dst}-{i}.json", "w"), indent=2)
PY
}

# up PORT: waits for a leader of every group on the node on PORT (wait_leader); gives up after 2 minutes.
up() {
  [ -n "$(wait_leader "$1")" ] || { echo "no leader on port $1 after 2 minutes"; exit 1; }
}

bench() { # PORT ARGS...
  local port=$1; shift
  java -jar "$jar" bench --url "http://127.0.0.1:$port" --target leader --value-size 256 --keys 100000 "$@"
}

shifted "$proj/${CONF16:-conf/sharded-node}" "$work/sharded"
start_nodes "$jar" "$(realpath "$proj/${CONF1:-conf/node}")" "$work/one"; one_pids=("${pids[@]}")
start_nodes "$jar" "$work/sharded" "$work/sixteen"; sixteen_pids=("${pids[@]:3}")
up 8081; up 8181
echo "bench-groups: $(date -u +%FT%TZ), $(nproc) cores, commit $(git -C "$proj" rev-parse --short HEAD 2>/dev/null)," \
  "${ROUNDS} rounds of ${SECS}s per point after ${WARM_S}s of warm-up each, 256-byte values"
left=$WARM_S
while [ "$left" -gt 0 ]; do
  bench 8081 --clients 64 --duration 10s --warmup 1s >/dev/null
  bench 8181 --clients 64 --duration 10s --warmup 1s >/dev/null
  left=$((left - 10))
done

printf "%-5s %-10s %7s %10s %9s %12s %s\n" round cluster clients writes/s p99-ms "us CPU/write" "idle cluster's CPU"
one() { # round label clients
  local port busy idle b0 b1 i0 i1 out w p99
  if [ "$2" = one-group ]; then port=8081; busy=("${one_pids[@]}"); idle=("${sixteen_pids[@]}")
  else port=8181; busy=("${sixteen_pids[@]}"); idle=("${one_pids[@]}"); fi
  b0=$(ticks "${busy[@]}"); i0=$(ticks "${idle[@]}")
  out=$(bench "$port" --clients "$3" --duration "${SECS}s" --warmup 2s)
  b1=$(ticks "${busy[@]}"); i1=$(ticks "${idle[@]}")
  w=$(echo "$out" | awk '/^writes:/{sub("/s,","",$2); print $2}')
  p99=$(echo "$out" | awk '/^writes:/{for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1)}')
  [ -n "$w" ] || { echo "no result from bench on port $port: $out"; return; }
  # CPU per write: clock ticks (10 ms each) over the bench's 2 s of warm-up and its measured seconds, at the measured rate.
  local us=$(( (b1 - b0) * 10000 / (${w%.*} * (SECS + 2) + 1) ))
  echo "$1 $2 $3 $w $p99 $us" >> "$work/r"
  printf "%-5s %-10s %7s %10s %9s %12s %s\n" "$1" "$2" "$3" "$w" "$p99" "$us" \
    "$(( (i1 - i0) / (SECS + 2) ))% of a core"
}
for round in $(seq 1 "$ROUNDS"); do
  for c in $CLIENTS; do
    if [ $((round % 2)) = 1 ]; then order="one-group 16-groups"; else order="16-groups one-group"; fi
    for label in $order; do one "$round" "$label" "$c"; done
  done
done
for l in 8081 8181; do
  curl -s "http://127.0.0.1:$l/v1/cluster" | python3 -c 'import json,sys,collections
d=json.load(sys.stdin); g=d.get("groups")
print("leaders per node:", dict(collections.Counter(x["leader"] for x in g)) if g else {d["leader"]: 1})'
done
cleanup
python3 - "$work/r" <<'PY'
import statistics, sys
r = {}
for line in open(sys.argv[1]):
    rnd, label, c, w, p99, us = line.split()
    r.setdefault((label, int(c)), {})[rnd] = (float(w), float(p99), int(us))
print(f"{'clients':>7} {'1 group writes/s (range)':>28} {'16 groups writes/s (range)':>28} {'16 / 1 (range)':>20}"
      f" {'p99 ms 1 / 16':>15} {'us CPU/write 1 / 16':>20}")
for c in sorted({c for _, c in r}):
    a, b = r.get(("one-group", c), {}), r.get(("16-groups", c), {})
    both = sorted(set(a) & set(b))
    if not both:
        continue
    def med(d, k):
        return statistics.median(v[k] for v in d.values())
    ratios = [b[x][0] / a[x][0] for x in both]
    rng = lambda d: f"({min(v[0] for v in d.values()):,.0f}-{max(v[0] for v in d.values()):,.0f})"
    print(f"{c:>7} {med(a, 0):>14,.0f} {rng(a):>13} {med(b, 0):>14,.0f} {rng(b):>13}"
          f" {statistics.median(ratios):>8.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
          f" {med(a, 1):>7.1f} / {med(b, 1):<6.1f} {med(a, 2):>9.0f} / {med(b, 2):<8.0f}")
PY
