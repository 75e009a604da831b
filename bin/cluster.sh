#!/usr/bin/env bash
# Starts a Raftline cluster with one node per process and stops all of them on Ctrl-C.
# Usage: bin/cluster.sh [3|5] [eventbus|grpc]
#   eventbus (default): Raft over the clustered event bus (Hazelcast on loopback); conf/node-<id>.json, or
#                       conf/node5-<id>.json for 5
#   grpc:               Raft over gRPC on each node's client port, no cluster manager; conf/grpc-node-<id>.json,
#                       or the 5-node files with RAFTLINE_TRANSPORT=grpc
# Logs go to data/logs/node-<id>.log. Build first: mvn -q package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3}"
transport="${2:-eventbus}"
usage() { echo "usage: bin/cluster.sh [3|5] [eventbus|grpc]" >&2; exit 2; }
case "$transport" in
  eventbus|grpc) ;;
  *) usage ;;
esac
case "$n" in
  3) if [ "$transport" = grpc ]; then prefix="conf/grpc-node-"; else prefix="conf/node-"; fi ;;
  5) prefix="conf/node5-" ;;
  *) usage ;;
esac
export RAFTLINE_TRANSPORT="$transport"
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
echo "started $n node processes over $transport: ${pids[*]} (logs in data/logs/)"
leader=
for i in $(seq 1 120); do
  # A node that exits before there is a leader says why in its log only (a data directory of another cluster, a
  # port in use, a configuration refused): show it, and stop the others.
  for idx in "${!pids[@]}"; do
    if ! kill -0 "${pids[$idx]}" 2>/dev/null; then
      id=$((idx + 1))
      echo "node $id exited before the cluster had a leader; the end of data/logs/node-$id.log:" >&2
      tail -n 5 "data/logs/node-$id.log" >&2
      stop
      exit 1
    fi
  done
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
if [ -z "$leader" ] || [ "$leader" = 0 ]; then
  echo "no leader after 60 s; the nodes go on (Ctrl-C stops them): see data/logs/node-*.log" >&2
fi
wait
