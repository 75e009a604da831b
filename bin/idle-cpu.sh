#!/usr/bin/env bash
# What an idle cluster costs: starts the 3-process cluster of a configuration prefix, leaves it idle, then samples the
# CPU time its three JVMs use (utime + stime from /proc/PID/stat) and prints it as cores. Then, optionally, kills the
# process that leads the most groups (kill -9) and times until every group has a leader among the survivors and takes
# a write (the failover of quiet groups, which have no heartbeats to miss), and samples the two survivors' CPU once they
# have been idle again for IDLE_S (an outage: groups go quiet without the dead node's replicas).
#
# Usage, from the project root: bin/idle-cpu.sh conf/sharded-node      (IDLE_S=40 SAMPLE_S=15 FAILOVER=1 by default;
# extra environment such as RAFTLINE_RAFT_QUIESCE_MS=0 reaches the nodes: compare quiet and never-quiet groups)
# Needs a built target/raftline.jar (or JAR=path); the ports of that configuration free; stops its processes on exit.
set -u
proj=$(pwd); conf=${1:-conf/sharded-node}; IDLE_S=${IDLE_S:-40}; SAMPLE_S=${SAMPLE_S:-15}; FAILOVER=${FAILOVER:-1}
work=$(mktemp -d /tmp/idle-cpu.XXXXXX); declare -A pid
cleanup() { for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for n in 1 2 3; do
  (cd "$work" && exec java ${JAVA_OPTS:-} -jar "${JAR:-$proj/target/raftline.jar}" node --conf "$(cd "$proj" && realpath "$conf-$n.json")" \
    >"$work/n$n.log" 2>&1) &
  pid[$n]=$!
done
ports=$(python3 -c 'import json,sys; print(" ".join(str(n["http_port"]) for n in json.load(open(sys.argv[1]))["nodes"]))' "$conf-1.json")
port1=${ports%% *}
cluster() { curl -s -m2 "http://127.0.0.1:$1/v1/cluster"; }
led() { python3 -c 'import json,sys
d=json.load(sys.stdin); g=d.get("groups") or [{"leader": d.get("leader", 0)}]
sys.exit(0 if all(x["leader"] for x in g) else 1)' 2>/dev/null; }
for i in $(seq 1 240); do cluster "$port1" | led && break; sleep 0.5; done
ticks() { local t=0 p; for p in "${pid[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
echo "idle-cpu: $(date -u +%FT%TZ), $conf, idle ${IDLE_S}s then ${SAMPLE_S}s sampled; RAFTLINE_RAFT_QUIESCE_MS=${RAFTLINE_RAFT_QUIESCE_MS:-default}"
sleep "$IDLE_S"
a=$(ticks); sleep "$SAMPLE_S"; b=$(ticks)
hz=$(getconf CLK_TCK)
python3 -c "print(f'  three idle processes: {($b - $a) / $hz / $SAMPLE_S:.3f} cores')"
cluster "$port1" | python3 -c 'import json,sys
d=json.load(sys.stdin); g=d.get("groups")
if g: print("  quiet groups:", sum(1 for x in g if x.get("quiet")), "of", len(g))'
[ "$FAILOVER" = 1 ] || exit 0
victim=$(cluster "$port1" | python3 -c 'import json,sys,collections
d=json.load(sys.stdin); g=d.get("groups") or [{"leader": d["leader"]}]
print(collections.Counter(x["leader"] for x in g).most_common(1)[0][0])')
survivor=1; [ "$victim" = 1 ] && survivor=2
sport=$(echo $ports | cut -d' ' -f$survivor)
start=$(date +%s%N)
kill -9 "${pid[$victim]}"; unset "pid[$victim]"
# The survivor's own view (scope=local: it does not wait for the dead process's status): every group led by a
# survivor once its replica leads the group or follows a leader other than the victim.
until curl -s -m1 "http://127.0.0.1:$sport/v1/cluster?scope=local" | python3 -c 'import json,sys
v=int(sys.argv[1]); d=json.load(sys.stdin); g=d.get("groups") or [{"leader": d.get("leader", 0)}]
sys.exit(0 if all(x["leader"] not in (0, v) for x in g) else 1)' "$victim" 2>/dev/null; do sleep 0.02; done
elected=$(date +%s%N)
# 64 keys (every one of 16 groups, almost surely), 16 writers at once, each retrying until acknowledged.
seq 0 63 | xargs -P 16 -I{} sh -c 'until [ "$(curl -s -o /dev/null -w "%{http_code}" -m2 -X PUT --data-binary x \
  "http://127.0.0.1:'"$sport"'/v1/kv/failover-{}")" = 200 ]; do sleep 0.02; done'
ok=64
done_at=$(date +%s%N)
echo "  kill -9 of node $victim: every group led by a survivor after $(( (elected - start) / 1000000 )) ms;" \
  "$ok writes over the key space (every group) acknowledged after $(( (done_at - start) / 1000000 )) ms"
# The same from the survivors' own logs (the status polls above are coarse: a poll may take half a second while the
# clustered event bus drops the dead member): when the last group's new leader won its election.
python3 - "$start" "$victim" "$work" <<'PY'
import sys, glob, datetime, re
start_ns, victim, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
start = datetime.datetime.fromtimestamp(start_ns / 1e9, datetime.timezone.utc)
wins = []
for f in glob.glob(work + "/n*.log"):
    if f.endswith("n" + victim + ".log"):
        continue
    for line in open(f, errors="replace"):
        m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) .*won election", line)
        if m:
            t = start.replace(hour=int(m[1]), minute=int(m[2]), second=int(m[3]), microsecond=int(m[4]) * 1000)
            if t >= start:
                wins.append((t - start).total_seconds() * 1000)
if wins:
    print(f"  survivors' logs: {len(wins)} elections won after the kill, the first {min(wins):.0f} ms and the last"
          f" {max(wins):.0f} ms after it")
PY
idle_with_outage() {
  sleep "$IDLE_S"
  a=$(ticks); sleep "$SAMPLE_S"; b=$(ticks)
  python3 -c "print(f'  the two survivors, idle with node $victim down: {($b - $a) / $hz / $SAMPLE_S:.3f} cores')"
  # The node's own replicas (the summary's per-group "quiet" needs the leader's status, which scope=local has only
  # for the groups this node leads).
  curl -s -m2 "http://127.0.0.1:$sport/v1/cluster?scope=local" | python3 -c 'import json,sys
d=json.load(sys.stdin)
for n in d["nodes"]:
    g = n.get("groups")
    if n.get("local") and g:
        print("  quiet replicas on node", n["id"], ":", sum(1 for x in g if x.get("quiet")), "of", len(g))'
}
idle_with_outage
