#!/usr/bin/env bash
# Side by side, interleaved: 3-node etcd and Raftline (3 processes from conf/node-[123].json, or CONF=conf/grpc-node)
# run at the same time, idle in turn, and every test is measured ROUNDS times on each, alternating which system goes
# first (etcd, Raftline, Raftline, etcd, ...). Why: this machine's own speed drifts by tens of percent from one minute
# to the next (a fixed loop of work takes 70 to 95 ms, `python3 bin/cpu-drift.py`), so two systems measured a few
# minutes apart, as bench-warm.sh does, are compared on different machines; measured in alternation, each round
# compares them on the same one. Reported per test: each system's median and range over the rounds, and the median
# of the per-round ratios. The system not measured is idle meanwhile; its CPU use during the other's runs is
# printed (heartbeats only: a few percent of one core). At the end it also says, from the nodes' logs, how many leaders
# were elected (more than one: a leader was lost and some rounds measured through a follower) and how many Raft log
# writes took 100 ms or more (the shared disk stalling: it shows in every system's p99).
#
# CONF=local measures the 1-JVM local cluster instead (`java -jar raftline.jar`, its three nodes in one process).
#
# Usage, from the project root: bin/bench-interleaved.sh     (ROUNDS=5 SECS=10 WARM_S=60 by default)
# Needs: apt-get install -y etcd-server wrk, a built target/raftline.jar, and ../shared/bench (the wrk scripts).
set -u
proj=$(pwd); bench=${BENCH:-$proj/../shared/bench}; SECS=${SECS:-10}; WARM_S=${WARM_S:-60}; ROUNDS=${ROUNDS:-5}
CONF=${CONF:-conf/node}; work=$(mktemp -d /tmp/bench-interleaved.XXXXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=(); }
trap cleanup EXIT
. "$proj/bin/procs.sh"

start_etcd "$work/etcd"; etcd_pids=("${pids[@]}"); eu=$(etcd_leader_url)
if [ "$CONF" = local ]; then
  mkdir -p "$work/p"
  (cd "$work/p" && exec java ${JAVA_OPTS:-} -jar "$proj/target/raftline.jar" >"$work/p/local.log" 2>&1) & pids+=($!)
else
  start_nodes "$proj/target/raftline.jar" "$proj/$CONF" "$work/p"
fi
rl_pids=("${pids[@]:3}")
wait_leader >/dev/null; ru=$(leader_url)
[ -n "$eu" ] && [ -n "$ru" ] || { echo "no leader: etcd '$eu', Raftline '$ru'"; exit 1; }
echo "etcd leader $eu, Raftline leader $ru; warming both for ${WARM_S}s each"
left=$WARM_S
while [ "$left" -gt 0 ]; do
  for s in "etcd $eu" "raftline $ru"; do
    read -r sys url <<<"$s"
    wrk_run "$sys-put.lua" 64 "$url" 10 >/dev/null; wrk_run "$sys-get.lua" 64 "$url" 10 >/dev/null
  done
  left=$((left - 20))
done
printf "%-5s %-8s %-8s %10s %9s %9s %8s %s\n" round system test req/s p50 p99 non2xx "idle system's CPU"
one() { # $1 round $2 system $3 test-tag $4 conns $5 kind(put|get)
  local url idle r before after
  if [ "$2" = etcd ]; then url=$eu; idle=("${rl_pids[@]}"); else url=$ru; idle=("${etcd_pids[@]}"); fi
  before=$(ticks "${idle[@]}")
  r=$(wrk_run "$2-$5.lua" "$4" "$url" "$SECS")
  after=$(ticks "${idle[@]}")
  echo "$1 $2 $3 $r" >> "$work/r"
  read -r rps p50 p99 non2xx <<<"$r"
  printf "%-5s %-8s %-8s %10s %9s %9s %8s %s\n" "$1" "$2" "$3" "$rps" "$p50" "$p99" "$non2xx" \
    "$(( (after - before) / SECS ))% of a core"
}
for round in $(seq 1 "$ROUNDS"); do
  for t in "put16 16 put" "put64 64 put" "get64 64 get"; do
    read -r tag conns kind <<<"$t"
    if [ $((round % 2)) = 1 ]; then order="etcd raftline"; else order="raftline etcd"; fi
    for sys in $order; do one "$round" "$sys" "$tag" "$conns" "$kind"; done
  done
done
cleanup
# What the node logs say about the run: role changes after the first election (a lost leader moves the figures), and
# Raft log writes that took 100 ms or more (a stalled disk: every system's tail). Both from the lines NodeHost writes.
changes=$(cat "$work"/p/*.log | grep -c ' -> Leader: ')
slow=$(cat "$work"/p/*.log | grep -o 'took [0-9]* ms; commits, votes and acknowledgements waited' | awk '{print $2}' | sort -n)
longest=${slow##*$'\n'}
echo "Raftline: leaders elected $changes (1: the first election only); log writes of 100 ms or more on the three" \
  "nodes: $(echo "$slow" | grep -c .)${longest:+ (the longest $longest ms)}; logs in $work/p"
python3 - "$work/r" <<'PY'
import statistics, sys
def to_ms(text):  # wrk prints 850.00us, 12.34ms or 1.20s
    for unit, scale in (('us', 0.001), ('ms', 1.0), ('s', 1000.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
r = {}
for line in open(sys.argv[1]):
    rnd, sysname, tag, rps, p50, p99, non2xx = line.split()
    r.setdefault(tag, {}).setdefault(sysname, {})[int(rnd)] = (float(rps), p99)
print()
print(f"{'test':8} {'etcd median (range)':28} {'Raftline median (range)':28} {'ratio: median of rounds (range)':34} p99 medians")
for tag in ('put16', 'put64', 'get64'):
    e, l = r[tag]['etcd'], r[tag]['raftline']
    rounds = sorted(set(e) & set(l))
    ratios = [l[k][0] / e[k][0] for k in rounds]
    def med(d): return statistics.median(v[0] for v in d.values())
    def rng(d): return f"{min(v[0] for v in d.values()):,.0f}-{max(v[0] for v in d.values()):,.0f}"
    def p99(d): return statistics.median(to_ms(v[1]) for v in d.values())
    print(f"{tag:8} {med(e):>10,.0f} ({rng(e)}){'':6} {med(l):>10,.0f} ({rng(l)}){'':4} "
          f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}){'':18} {p99(l):.1f} vs {p99(e):.1f} ms")
PY
