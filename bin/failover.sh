#!/usr/bin/env bash
# The shared failover comparison (../shared/bench/failover.py, unchanged: etcd and Raftline side by side in one run)
# over another set of per-process configurations, e.g. the gRPC transport's. failover.py starts
# `java -jar $PWD/target/raftline.jar node --conf $PWD/conf/node-N.json` for N in 1..3 and talks to ports 808N, so
# this runs it from a scratch directory where those two paths name the project's jar and $CONF-N.json.
#
# Usage, from the project root: CONF=conf/grpc-node bin/failover.sh [TRIALS]   (CONF=conf/node is failover.py itself)
# Needs: apt-get install -y etcd-server, a built target/raftline.jar, and ../shared/bench.
set -euo pipefail
proj=$(pwd); bench=${BENCH:-$proj/../shared/bench}; CONF=${CONF:-conf/node}
[ -f "$proj/target/raftline.jar" ] || { echo "build first: mvn -q package -DskipTests" >&2; exit 2; }
for n in 1 2 3; do [ -f "$proj/$CONF-$n.json" ] || { echo "no $CONF-$n.json" >&2; exit 2; }; done
shim=$(mktemp -d /tmp/failover-shim.XXXXXX)
trap 'rm -rf "$shim"' EXIT
mkdir -p "$shim/target" "$shim/conf"
ln -s "$proj/target/raftline.jar" "$shim/target/raftline.jar"
for n in 1 2 3; do ln -s "$proj/$CONF-$n.json" "$shim/conf/node-$n.json"; done
echo "failover.py over $CONF-[123].json, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$proj" rev-parse --short HEAD)"
cd "$shim" && python3 "$bench/failover.py" "$@"
