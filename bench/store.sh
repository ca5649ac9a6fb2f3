#!/bin/bash
# The lineage store at scale: record N fixture steps (default 10 000)
# with test/tools/prov-fixture, then time the queries that must not walk
# history (log -n 10, show by prefix and @N, status), find, which
# reads every record, and compare of two 200-step sessions.  DESIGN.md's goal: a lineage query in <= 50 ms at
# 10 000 steps.  Prints seconds; nothing is asserted.
#   bench/store.sh [BUILD_DIR] [N]
set -eu
build=$(cd "${1:-build}" && pwd)
n=${2:-10000}
cairn=$build/cairn
fixture=$build/test/prov-fixture
dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-store.XXXXXX")
trap 'rm -rf "$dir"' EXIT

t0=$(date +%s.%N)
"$fixture" -C "$dir" synth "$n" 200
t1=$(date +%s.%N)
printf 'record %d steps: %.1f s (%.2f ms/step)\n' "$n" "$(echo "$t1 - $t0" | bc)" \
	"$(echo "($t1 - $t0) * 1000 / $n" | bc -l)"
cd "$dir"
id=$("$cairn" log -n 1 | cut -c1-8)
for args in "log -n 10" "log -n 10 --json" "show $id" "show @1 --json" "show @100" \
	"status" "find --command gdalwarp* --arg -m\ 12" \
	"find --own-tag k=a,b --output" "find --derived-from-step gdalwarp\ -m\ 12 --output" \
	"find --reads-matching data/f1 x --output" \
	"compare @1 @201" "compare @1 @201 --json"; do
	t0=$(date +%s.%N)
	eval "\"$cairn\" $args" >/dev/null || true # compare exits 1: they differ
	t1=$(date +%s.%N)
	printf '%-40s %.3f s\n' "$args" "$(echo "$t1 - $t0" | bc)"
done
