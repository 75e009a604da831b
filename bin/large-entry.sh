#!/usr/bin/env bash
# What one very large command costs the 3-process cluster: starts conf/node-[123].json (or $CONF-[123].json) with
# service.max_body_bytes at 64 MiB and the election timeouts given, sends TRIALS Redis MSETs of 64 values of 1 MiB
# (one log entry of 64 MiB) through a follower, and prints per write its answer, how long it took and whether the
# leader or the term changed meanwhile. docs/operations.md ("Large values") quotes its runs.
#
# Usage, from the project root:
#   ELECTION_MS=300-600 bin/large-entry.sh [TRIALS]          (TRIALS 3 by default)
#   ELECTION_MS=1280-2560 JAVA_OPTS="-Xms3g -Xmx3g -XX:+AlwaysPreTouch" bin/large-entry.sh
# KEEP=1 keeps the nodes' logs and data; JAR=... runs another build of the nodes. Needs a built target/raftline.jar and python3; uses the ports of the configurations (808N, 638N, 809N, 570N).
set -euo pipefail
proj=$(pwd); CONF=${CONF:-conf/node}; TRIALS=${1:-3}; ELECTION_MS=${ELECTION_MS:-300-600}
JAVA_OPTS=${JAVA_OPTS:--Xms3g -Xmx3g -XX:+AlwaysPreTouch}
jar=$(realpath "${JAR:-$proj/target/raftline.jar}" 2>/dev/null)
[ -f "$jar" ] || { echo "build first: mvn -q package -DskipTests" >&2; exit 2; }
work=$(mktemp -d /tmp/large-entry.XXXXXX); pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
for n in 1 2 3; do
  python3 - "$proj/$CONF-$n.json" "$work/node-$n.json" "$work" "${ELECTION_MS%-*}" "${ELECTION_MS#*-}" <<'PY'
import json, sys
src, dst, work, lo, hi = sys.argv[1:]
c = json.load(open(src))
c['service']['max_body_bytes'] = 64 << 20
c['raft']['election_timeout_min_ms'] = int(lo)
c['raft']['election_timeout_max_ms'] = int(hi)
for node in c['nodes']:
    node['data_dir'] = f"{work}/data/node-{node['id']}"
json.dump(c, open(dst, 'w'), indent=1)
PY
done
echo "64 MiB MSETs through a follower, $CONF-[123].json, election timeouts $ELECTION_MS ms, JAVA_OPTS '$JAVA_OPTS'," \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$proj" rev-parse --short HEAD)${JAR:+, nodes from $JAR}"
for n in 1 2 3; do
  # shellcheck disable=SC2086
  java $JAVA_OPTS -jar "$jar" node --conf "$work/node-$n.json" >"$work/n$n.log" 2>&1 & pids+=($!)
done
status() { curl -s -m2 http://127.0.0.1:8081/v1/cluster | python3 -c \
  'import json,sys; d=json.load(sys.stdin); print(d.get("leader") or 0, d.get("term") or 0)' 2>/dev/null || echo "0 0"; }
for _ in $(seq 1 240); do read -r leader _ <<<"$(status)"; [ "$leader" != 0 ] && break; sleep 0.5; done
[ "$leader" != 0 ] || { echo "no leader; logs in $work" >&2; trap - EXIT; exit 1; }
changes=0
for t in $(seq 1 "$TRIALS"); do
  read -r leader term <<<"$(status)"; via=$(( leader % 3 + 1 ))
  answer=$(python3 - "$(( 6380 + via ))" "$t" <<'PY'
import os, socket, sys, time
port, tag = int(sys.argv[1]), sys.argv[2]
value = os.urandom(1 << 20)
parts = [b"MSET"]
for i in range(64):
    parts += [f"large-{tag}/{i}".encode(), value]
cmd = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
s = socket.create_connection(("127.0.0.1", port), timeout=60)
start = time.time()
s.sendall(cmd)
reply = s.recv(300).decode(errors="replace").strip()
print(f"{reply[:70]} in {time.time() - start:.2f} s")
PY
)
  sleep 1; read -r leader2 term2 <<<"$(status)"
  for _ in 1 2 3 4 5; do [ "$term2" != 0 ] && break; sleep 1; read -r leader2 term2 <<<"$(status)"; done
  if [ "$term2" != "$term" ]; then changes=$((changes + 1)); fi
  echo "write $t through node $via (leader $leader, term $term): $answer; then leader $leader2, term $term2"
done
echo "leader changes: $changes of $TRIALS writes"
