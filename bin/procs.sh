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

# wait_leader [PORT]: waits up to 2 minutes until the node on PORT (8081) knows a leader, and on a sharded cluster a
# leader for every group; prints the leader's id (of group 0), nothing if there is none by then.
wait_leader() {
  local port=${1:-8081} i
  for i in $(seq 1 240); do
    curl -s -m1 "http://127.0.0.1:$port/v1/cluster" | python3 -c 'import json,sys
d=json.load(sys.stdin)
if d.get("leader") and all(g["leader"] for g in d.get("groups", [])): print(d["leader"])
else: sys.exit(1)' 2>/dev/null && return 0
    sleep 0.5
  done
}

# leader_url [PORT]: the client URL of the leader the node on PORT knows.
leader_url() {
  curl -s "http://127.0.0.1:${1:-8081}/v1/cluster" | python3 -c \
    'import json,sys;d=json.load(sys.stdin);print([n["url"] for n in d["nodes"] if n["id"]==d["leader"]][0])'
}

# start_etcd DIR: a 3-member etcd cluster on loopback (client ports 12379/22379/32379), data and logs in DIR;
# pids gets the three etcd processes. Waits until a leader is known.
start_etcd() {
  local dir=$1 i cluster="e1=http://127.0.0.1:12380,e2=http://127.0.0.1:22380,e3=http://127.0.0.1:32380"
  mkdir -p "$dir"
  for i in 1 2 3; do
    etcd --name e$i --data-dir "$dir/e$i" --listen-client-urls http://127.0.0.1:${i}2379 \
      --advertise-client-urls http://127.0.0.1:${i}2379 --listen-peer-urls http://127.0.0.1:${i}2380 \
      --initial-advertise-peer-urls http://127.0.0.1:${i}2380 --initial-cluster $cluster \
      --initial-cluster-state new >"$dir/e$i.log" 2>&1 & pids+=($!)
  done
  for i in $(seq 1 60); do [ -n "$(etcd_leader_url)" ] && return 0; sleep 0.5; done
}

# etcd_leader_url: the client URL of the etcd member that leads (empty while none does).
etcd_leader_url() {
  local i
  for i in 1 2 3; do
    curl -s -m1 -X POST http://127.0.0.1:${i}2379/v3/maintenance/status -d '{}' | python3 -c \
      "import json,sys;d=json.load(sys.stdin);print('http://127.0.0.1:${i}2379' if d['leader']==d['header']['member_id'] else '',end='')" 2>/dev/null
  done
}

# wrk_run SCRIPT CONNS URL SECS: wrk -t2 with a script of $bench (the caller sets it); prints "req/s p50 p99 non2xx".
wrk_run() {
  wrk -t2 -c"$2" -d"$4"s --latency -s "$bench/$1" "$3" | awk '/Requests\/sec/{r=$2} /^ +99%/{p=$2} /^ +50%/{m=$2} /Non-2xx/{e=$NF} END{print r, m, p, e+0}'
}

# ticks PID...: the CPU time (user + system, in clock ticks) the processes have used so far; a process gone counts 0.
ticks() {
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo $t
}
