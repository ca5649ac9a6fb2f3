#!/bin/bash
# bench/deep.sh - what working deep in a directory tree costs: a step run
# at depth D (a chain deep/d/d/.../d) under cairn and under bash, side by
# side in one run, printed as times, the ratio to bash and the growth from
# one depth to the next (x2 depth: x2 is linear in the calls' total size
# ... the paths themselves grow with D, so the work bash does grows too).
#
#   bench/deep.sh [CAIRN] [DEPTHS]     (default: build/cairn "250 500 1000 2000")
#
# The step: `cd deep/d/.../d; touch a; cat a; ls`.  The kernel takes a
# path of at most PATH_MAX (4096) bytes, and a step whose working
# directory is longer than that cannot be recorded (docs/sandbox.md):
# depths past about 2000 are run but say so.  RUNS (default 3): the
# median of that many runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cairn=$(realpath "${1:-$top/build/cairn}")
depths=${2:-250 500 1000 2000}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir .cairn

# seconds (wall) that "$@" takes
wall() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || echo "bench: failed: ${*:1:2}..." >&2
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$cairn" -c true >/dev/null 2>&1 # the store made, a first step taken
printf '%6s %10s %10s %8s %12s %12s\n' depth "bash s" "cairn s" ratio "bash growth" "cairn growth"
made=0 prev_b='' prev_c=''
for d in $depths; do
	# The chain grows from the last depth, a directory at a time from a
	# descriptor of the one above (bash's `cd` looks at every directory
	# on the way: making 3000 levels with it takes minutes).
	python3 - "$made" "$d" <<'PY'
import os, sys
made, want = int(sys.argv[1]), int(sys.argv[2])
os.makedirs("deep", exist_ok=True)
fd = os.open("deep", os.O_RDONLY | os.O_DIRECTORY)
for i in range(want):
    if i >= made:
        os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
PY
	made=$d
	rel=deep$(printf '/d%.0s' $(seq "$d"))
	# bash's `cd` takes one path of at most PATH_MAX: in pieces of 1000
	cdcmd=$(echo "$rel" | sed -E 's,((/?[^/]+){1000}),&\n,g' | sed -E 's,^/,,; /^$/d; s,^,cd ,' | paste -sd';')
	step="$cdcmd; touch a; cat a; ls"
	b=$(for ((r = 0; r < runs; r++)); do bash -c "$cdcmd; rm -f a"; wall bash -c "$step"; done | median)
	c=$(for ((r = 0; r < runs; r++)); do wall "$cairn" --no-cache -c "$step"; done | median)
	lost=$("$cairn" show @1 --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["sandbox"]["lost_events"])' || echo '?')
	awk -v d="$d" -v b="$b" -v c="$c" -v pb="$prev_b" -v pc="$prev_c" -v lost="$lost" 'BEGIN {
		printf "%6d %10.3f %10.3f %7.1fx", d, b, c, c / b
		if (pb != "") printf " %11.2fx %11.2fx", b / pb, c / pc; else printf " %12s %12s", "", ""
		if (lost != "0") printf "  (%s calls not recorded: paths past PATH_MAX)", lost
		printf "\n" }'
	prev_b=$b prev_c=$c
done
