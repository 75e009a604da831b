# Sourced by the benchmark scripts: a cluster of one node per process, started from per-process configurations.
# The caller sets `pids=()` and a cleanup that kills "${pids[@]}".

# start_nodes JAR CONF_PREFIX DIR: starts CONF_PREFIX-1.json .. -3.json (absolute paths) from DIR, JAVA_OPTS passed on;
# pids[i-1] is the JVM of node i (exec), logs in DIR/n1.log ...
start_nodes() {
  local jar=$1 conf=$2 dir=$3 n
  mkdir -p "$dir"
  for n in 1 2 3; do
    (cd "$dir" && exec java ${JAVA_OPTS:-} -jar "$jar" node --conf "$conf-$n.json" >"$dir/n$n.log" 2>&1) &
    pids+=($!)
  done
}

# wait_leader [PORT]: waits up to 2 minutes until the node on PORT (8081) knows a leader; prints the leader's id.
wait_leader() {
  local port=${1:-8081} i
  for i in $(seq 1 240); do
    curl -s -m1 "http://127.0.0.1:$port/v1/cluster" | python3 -c \
      'import json,sys;sys.exit(0 if json.load(sys.stdin).get("leader") else 1)' 2>/dev/null && break
    sleep 0.5
  done
  curl -s "http://127.0.0.1:$port/v1/cluster" | python3 -c 'import json,sys;print(json.load(sys.stdin)["leader"])'
}

# leader_url [PORT]: the client URL of the leader the node on PORT knows.
leader_url() {
  curl -s "http://127.0.0.1:${1:-8081}/v1/cluster" | python3 -c \
    'import json,sys;d=json.load(sys.stdin);print([n["url"] for n in d["nodes"] if n["id"]==d["leader"]][0])'
}
