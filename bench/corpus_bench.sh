#!/usr/bin/env bash
# Timed bench of `menshen corpus audit`: documents/s and MB/s with N checking
# threads against one thread, measured in the same run, alternating, median of
# REPS. Usage: bench/corpus_bench.sh MENSHEN [THREADS] [REPS] [DOCS]
set -euo pipefail
menshen=$1 threads=${2:-2} reps=${3:-5} docs=${4:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/corpus.txt" "$docs" <<'PY'
import random, sys
r = random.Random(1)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(int(sys.argv[2])):
        f.write(("出售冰毒 " if i % 50 == 0 else "") +
                " ".join("word%d" % r.randrange(5000) for _ in range(30)) +
                " 今天天气很好，我们去公园散步。\n")
PY
bytes=$(stat -c %s "$work/corpus.txt")
declare -A times
for ((i = 0; i < reps; i++)); do
  for t in 1 "$threads"; do
    s=$(date +%s.%N)
    "$menshen" corpus audit "$work/corpus.txt" -o "$work/out" --threads "$t" > /dev/null || true
    e=$(date +%s.%N)
    times[$t]+="$(echo "$e - $s" | bc) "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m1=$(echo "${times[1]}" | median); mn=$(echo "${times[$threads]}" | median)
echo "docs=$docs bytes=$bytes load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "1 thread:  median ${m1}s  $(echo "$docs / $m1" | bc) docs/s  $(echo "scale=1; $bytes / $m1 / 1000000" | bc) MB/s  (runs: ${times[1]})"
echo "$threads threads: median ${mn}s  $(echo "$docs / $mn" | bc) docs/s  $(echo "scale=1; $bytes / $mn / 1000000" | bc) MB/s  (runs: ${times[$threads]})"
echo "speed-up: $(echo "scale=2; $m1 / $mn" | bc)x"
