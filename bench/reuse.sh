#!/bin/bash
# bench/reuse.sh - how much of the demo pipeline (examples/demo.sh) is
# served from the cache where users expect it, and what each run costs
# against bash running the same script, in one run:
#
#   cold       the first run (nothing cached)
#   unchanged  the same script again
#   renamed    the script copied to another name
#   elsewhere  another terminal, host, login and batch job (TERM,
#              HOSTNAME, SSH_CONNECTION, SLURM_JOB_ID changed)
#   copied     the project (with its .cairn) copied to another directory
#
# For each: steps served from the cache of all steps, cairn's wall time,
# bash's wall time (median of RUNS runs in a fresh directory) and the ratio.
#
#   bench/reuse.sh [CAIRN]     (default: build/cairn; RUNS=N, default 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
runs=${RUNS:-5}
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bash: the script run RUNS times, each in a fresh directory.
for i in $(seq "$runs"); do
	d="$work/bash$i"
	mkdir "$d"
	cp "$top/examples/demo.sh" "$d/demo.sh"
	t0=$(now)
	(cd "$d" && bash demo.sh >/dev/null 2>&1)
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
done | median >"$work/bash.s"
bash_s=$(cat "$work/bash.s")

mkdir "$work/proj"
cd "$work/proj"
cp "$top/examples/demo.sh" demo.sh
cp demo.sh renamed.sh

# hits STEPS: "H/N" of the last N steps
hits() {
	"$cairn" log --json -n "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("%d/%d" % (sum(x["cached"] for x in s), len(s)))'
}

printf '%-10s %8s %10s %10s %8s\n' run hits cairn_s bash_s ratio
one() { # NAME SCRIPT [ENV...]
	local name=$1 script=$2 t0 t1 before after
	shift 2
	before=$("$cairn" log --json -n 100000 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)
	t0=$(now)
	env "$@" "$cairn" run "$script" >/dev/null 2>&1 </dev/null
	t1=$(now)
	after=$("$cairn" log --json -n 100000 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	awk -v n="$name" -v h="$(hits $((after - before)))" -v a="$t0" -v b="$t1" -v s="$bash_s" \
		'BEGIN { printf "%-10s %8s %10.3f %10.3f %7.2fx\n", n, h, b - a, s, (b - a) / s }'
}
one cold demo.sh
one unchanged demo.sh
one renamed renamed.sh
one elsewhere demo.sh TERM=vt220 HOSTNAME=node042 SSH_CONNECTION="10.1.1.1 5000 10.1.1.2 22" \
	SLURM_JOB_ID=4242
cp -a "$work/proj" "$work/copy-of-proj"
cd "$work/copy-of-proj"
one copied demo.sh
