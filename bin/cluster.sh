#!/usr/bin/env bash
# Starts a Raftline cluster with one node per process (clustered event bus over loopback) and stops all of
# them on Ctrl-C. Usage: bin/cluster.sh [3|5]   (uses conf/node-<id>.json, or conf/node5-<id>.json for 5)
# Logs go to data/logs/node-<id>.log. Build first: mvn -q package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3}"
case "$n" in
  3) prefix="conf/node-" ;;
  5) prefix="conf/node5-" ;;
  *) echo "usage: bin/cluster.sh [3|5]" >&2; exit 2 ;;
esac
jar=target/raftline.jar
[ -f "$jar" ] || { echo "no $jar: run 'mvn -q package -DskipTests' first" >&2; exit 2; }
mkdir -p data/logs
pids=()
stop() { echo; echo "stopping ${pids[*]}"; kill "${pids[@]}" 2>/dev/null || true; wait || true; }
trap stop INT TERM
for id in $(seq 1 "$n"); do
  java -jar "$jar" node --conf "${prefix}${id}.json" > "data/logs/node-${id}.log" 2>&1 &
  pids+=($!)
done
echo "started $n node processes: ${pids[*]} (logs in data/logs/)"
for i in $(seq 1 120); do
  leader=$(curl -sf http://localhost:8081/v1/cluster 2>/dev/null | grep -o '^{[^[]*"leader":[0-9]*' | grep -o '[0-9]*$' || true)
  if [ -n "$leader" ] && [ "$leader" != 0 ]; then
    echo "leader: node $leader"
    for id in $(seq 1 "$n"); do echo "  node $id: http://localhost:$((8080 + id))"; done
    for id in $(seq 1 "$n"); do echo "  UI / admin of node $id: http://localhost:$((8090 + id))"; done
    echo "Ctrl-C stops all of them."
    break
  fi
  sleep 0.5
done
wait
