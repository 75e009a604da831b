#!/usr/bin/env bash
# JFR profile of the 3-process cluster's leader and a follower under wrk PUT@16 (30 s warm-up, then 30 s recorded).
# Usage, from the project root after mvn package: bin/profile-put16.sh   (prints wrk's figures and the directory of
# leader.jfr and follower.jfr; read them with: jfr print --events jdk.ExecutionSample --stack-depth 64 FILE, or
# jfr summary / jdk.ObjectAllocationSample / jdk.GarbageCollection). CONNS=64 and WRK_SCRIPT=raftline-get.lua profile
# the other points of the comparison with etcd (defaults 16 and raftline-put.lua). TARGET=follower sends the load to
# the follower that is profiled (its requests forwarded to the leader) instead of the leader.
set -u
proj=$(pwd); bench=${BENCH:-$proj/../shared/bench}; work=$(mktemp -d /tmp/prof.XXXXXX); pids=()
. "$proj/bin/procs.sh"
JAVA_OPTS=-XX:+FlightRecorder start_nodes "$proj/target/raftline.jar" "$proj/conf/node" "$work/p"
leader=$(wait_leader); u=$(leader_url)
conns=${CONNS:-16}; script=$bench/${WRK_SCRIPT:-raftline-put.lua}
f=$(( leader % 3 + 1 ))
[ "${TARGET:-leader}" = follower ] && u=http://127.0.0.1:808$f
[ "${WRK_SCRIPT:-}" = raftline-get.lua ] && wrk -t2 -c16 -d10s -s $bench/raftline-put.lua $u > /dev/null  # keys to read
wrk -t2 -c$conns -d30s -s $script $u > /dev/null
# The pids started above are the JVMs themselves (exec): pgrep on the file name could find another cluster's process.
lpid=${pids[$((leader - 1))]}; fpid=${pids[$((f - 1))]}
jcmd $lpid JFR.start name=p settings=profile filename=$work/leader.jfr > /dev/null
jcmd $fpid JFR.start name=p settings=profile filename=$work/follower.jfr > /dev/null
wrk -t2 -c$conns -d30s --latency -s $script $u | grep -E "Requests/sec|50%|99%"
jcmd $lpid JFR.stop name=p > /dev/null; jcmd $fpid JFR.stop name=p > /dev/null
sleep 1
for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null
echo $work
