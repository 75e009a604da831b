#!/usr/bin/env bash
# Records which classes a node process loads while it starts, in load order, into
# src/main/resources/META-INF/raftline/server-classes.txt, the list ClassPreloader walks on a second thread
# (see docs/performance.md, "Restart time"). Run it after changing dependencies, then rebuild:
#   mvn -B -q -DskipTests package && bin/class-list.sh && mvn -B -q -DskipTests package
# Starts the three processes of conf/node-[123].json on loopback in a temporary directory and stops them, without
# the preloader (which would load the previous list's classes and so record them again).
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/raftline.jar
out=src/main/resources/META-INF/raftline/server-classes.txt
[[ -f $jar ]] || { echo "build first: mvn -B -q -DskipTests package" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { kill -9 "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for i in 1 2 3; do
  (cd "$work" && exec java -Draftline.preload=false "-Xlog:class+load=info:file=$work/classes-$i.txt" -jar "$OLDPWD/$jar" node \
      --conf "$OLDPWD/conf/node-$i.json" >"$work/node-$i.log" 2>&1) &
  pids+=($!)
done
for _ in $(seq 1 600); do
  up=$( (grep -l "is up" "$work"/node-*.log 2>/dev/null || true) | wc -l)
  [[ $up -eq 3 ]] && break
  sleep 0.1
done
[[ $up -eq 3 ]] || { echo "the nodes did not start; logs in $work" >&2; tail -5 "$work"/node-*.log >&2; trap - EXIT; exit 1; }
sleep 2   # the first elections and heartbeats
kill -9 "${pids[@]}"; wait 2>/dev/null || true; pids=()
# Classes from the application jar or the JDK's modules (not those already in its shared archive), no hidden or generated classes;
# the union of the three processes, in the order of first appearance.
mkdir -p "$(dirname "$out")"
{
  echo "# Classes a Raftline node loads while it starts, in load order; recorded by bin/class-list.sh."
  for i in 1 2 3; do
    grep -E "source: (jrt:/|(jar:)?file:.*raftline\.jar)" "$work/classes-$i.txt" \
      | awk '{for (f = 2; f <= NF; f++) if ($f == "source:") { print $(f - 1); break }}'
  done | grep -v -E '\$\$Lambda|\$Proxy|/0x' | awk '!seen[$0]++'
} >"$out"
echo "$(($(wc -l <"$out") - 1)) classes written to $out"
