#!/usr/bin/env bash
# How long a node killed with kill -9 takes to follow its leader again, for one build or two side by side: a running
# 3-process cluster (conf/node-[123].json, started from the first jar), then ROUNDS times per jar (alternating which
# goes first): kill -9 a follower, wait 1 s, start it again from the jar, and time from the start to the node's
# "following leader" line, read from its log's clock. Prints each restart and, per jar, the median and range.
# Usage, from the project root: bin/restart-time.sh JAR [JAR_B]   (ROUNDS=5 by default)
# JAVA_OPTS go to every process; JAVA_OPTS_B, if set, replaces them for the restarts of the second build (which may
# be the same jar), e.g. JAVA_OPTS_B=-XX:SharedArchiveFile=raftline.jsa bin/restart-time.sh target/raftline.jar
# THREADS=1 also prints, for each restart, the CPU its threads had used by then (JIT compilers, main, event loops...).
# Ports 8081-8083, 8091-8093, 5701-5703 free; stops its processes on exit.
set -u
proj=$(pwd); jars=("$(realpath "$1")"); [ $# -gt 1 ] && jars+=("$(realpath "$2")"); pids=()
[ -n "${JAVA_OPTS_B+x}" ] && [ ${#jars[@]} = 1 ] && jars+=("${jars[0]}")
. "$proj/bin/procs.sh"
work=$(mktemp -d /tmp/restart-time.XXXXXX)
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
start_nodes "${jars[0]}" "$proj/conf/node" "$work"
leader=$(wait_leader)
[ -n "$leader" ] || { echo "no leader within 2 minutes" >&2; exit 1; }
sleep 5
node=$(( leader % 3 + 1 )); results=()
for r in $(seq 1 "${ROUNDS:-5}"); do
  order=$(seq 0 $(( ${#jars[@]} - 1 ))); [ $((r % 2)) = 0 ] && order=$(echo "$order" | tac)
  for i in $order; do
    kill -9 "${pids[$((node - 1))]}"; wait "${pids[$((node - 1))]}" 2>/dev/null; sleep 1
    log=$work/restart-$r-$i.log; start=$(date +%s.%N)
    opts=${JAVA_OPTS:-}; [ "$i" = 1 ] && opts=${JAVA_OPTS_B-$opts}
    (cd "$work" && exec java $opts -jar "${jars[$i]}" node --conf "$proj/conf/node-$node.json" >"$log" 2>&1) &
    pids[$((node - 1))]=$!
    for _ in $(seq 1 300); do grep -q 'following leader' "$log" && break; sleep 0.1; done
    if [ -n "${THREADS:-}" ]; then
      # Threads of a kind summed (digits dropped from their names); threads already ended are not counted.
      for t in /proc/"${pids[$((node - 1))]}"/task/*; do echo "$(awk '{print $14 + $15}' "$t/stat") $(sed 's/#\?[0-9]*$//' "$t/comm")"; done \
        | awk -v hz="$(getconf CLK_TCK)" '{c=$1; $1=""; s[$0]+=c; all+=c} END{for (k in s) if (s[k]) printf "  %5d ms%s\n", s[k]*1000/hz, k; printf "  %5d ms in all\n", all*1000/hz}' \
        | sort -rn
    fi
    at=$(grep -m1 'following leader' "$log" | cut -d' ' -f1)
    [ -n "$at" ] || { echo "round $r ${jars[$i]}: no leader followed within 30 s" >&2; exit 1; }
    # The log's clock has milliseconds and no date: the restart began less than a minute before it.
    s=$(python3 -c "import sys,datetime as d
s=d.datetime.fromtimestamp(float(sys.argv[1])); h,m,x=sys.argv[2].split(':')
t=s.replace(hour=int(h),minute=int(m),second=0,microsecond=0)+d.timedelta(seconds=float(x))
t=t+d.timedelta(days=1) if t<s-d.timedelta(hours=1) else t
print(f'{(t-s).total_seconds():.2f}')" "$start" "$at")
    echo "round $r ${jars[$i]}${opts:+ ($opts)}: node $node follows its leader $s s after its start"; results+=("$i $s")
    sleep 3
  done
done
for i in "${!jars[@]}"; do
  opts=${JAVA_OPTS:-}; [ "$i" = 1 ] && opts=${JAVA_OPTS_B-$opts}
  printf '%s\n' "${results[@]}" | awk -v i="$i" '$1==i{print $2}' | sort -n | awk -v j="${jars[$i]}${opts:+ ($opts)}" \
    '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s: median %.2f s, range %.2f-%.2f s, %d restarts\n", j, m, a[1], a[NR], NR}'
done
