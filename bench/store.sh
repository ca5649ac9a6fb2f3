#!/bin/bash
# The lineage store at scale: for each size (default 10 000 and 100 000
# steps), record that many fixture steps (test/tools/prov-fixture synth:
# one chain, step i runs `gdalwarp -m i%24 data/f<i-1> data/f<i>`),
# tag a few, add three steps with real inputs, then time recording 100
# more steps (best of three) and each query, and status again on a store
# of as many steps rewriting 1 000 files; print, per command, the time at each size,
# the growth ratio and the lines of output (the size of the answer: a
# query whose answer grows with the store cannot stay flat).  Each query
# is run three times; the best time is printed.  Nothing is asserted.
#   bench/store.sh [BUILD_DIR] [N...]
# Goal (#19, #22): status, find (each condition) and compare under
# 100 ms at 100 000 steps, recording under 3 ms a step, within 1.5x of
# 10 000.  CAIRN_QUERY_WALK=1 in the environment times the walk of every
# record instead of the query index.
set -eu
build=$(cd "${1:-build}" && pwd)
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
cairn=$build/cairn
fixture=$build/test/prov-fixture
top=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-store.XXXXXX")
trap 'rm -rf "$top"' EXIT
now() { date +%s.%N; }
id_of() { printf 'synth %d' "$1" | sha256sum | cut -c1-32; }

declare -A T L
names=()
note() { # NAME SIZE SECONDS LINES
	[[ " ${names[*]} " == *" $1 "* ]] || names+=("$1")
	T["$1|$2"]=$3
	L["$1|$2"]=$4
}

for n in "${sizes[@]}"; do
	dir=$top/s$n
	mkdir -p "$dir"
	t0=$(now)
	"$fixture" -C "$dir" synth "$n" 200
	t1=$(now)
	printf 'size %d: made in %.1f s (%.2f ms/step on average)\n' "$n" \
		"$(echo "$t1 - $t0" | bc)" "$(echo "($t1 - $t0) * 1000 / $n" | bc -l)" >&2
	cd "$dir"
	# Tags: two steps near the end, one raw input version.
	"$cairn" tag "$(id_of $((n - 10)))" k=a >/dev/null
	"$cairn" tag "$(id_of $((n - 20)))" k=b >/dev/null
	# Three steps with real inputs, for --reads-matching.
	mkdir -p obs
	printf 'station,temp\nA,12\n' >obs/t.csv
	printf 'station,precip\nA,3\n' >obs/p.csv
	tail -n +2 obs/t.csv >obs/t.body
	tail -n +2 obs/p.csv >obs/p.body
	sort obs/t.body >obs/t.sorted
	"$cairn" tag obs/t.csv origin=north >/dev/null
	"$fixture" step --command 'tail -n +2 obs/t.csv' --argv 'tail -n +2 obs/t.csv' \
		--read obs/t.csv --write obs/t.body >/dev/null
	"$fixture" step --command 'tail -n +2 obs/p.csv' --argv 'tail -n +2 obs/p.csv' \
		--read obs/p.csv --write obs/p.body >/dev/null
	"$fixture" step --command 'sort obs/t.body' --argv 'sort obs/t.body' \
		--read obs/t.body --write obs/t.sorted >/dev/null
	# Recording at this size: 3 x 100 more steps of the chain, the best.
	best=
	for k in 0 1 2; do
		t0=$(now)
		"$fixture" -C "$dir" synth 100 200 $((n + 1 + k * 100))
		t1=$(now)
		t=$(echo "($t1 - $t0) / 100" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	note "record (ms/step)" "$n" "$best" 0
	m=$((n + 300))
	id=$("$cairn" log -n 1 | cut -c1-8)
	# Templates: ID the newest step, LAST5/LAST6 the chain's file 5 or 6
	# steps from its end.
	for q in "log -n 10" "show ID" "show @100" "status" \
		"find --command gdalwarp* --arg -m\ 12" \
		"find --writes data/f777" \
		"find --reads data/f777" \
		"find --derived-from LAST5" \
		"find --own-tag k=a,b --output" \
		"find --tag k=a --output" \
		"find --tag origin=north" \
		"find --tag k!=a --writes data/f777" \
		"find --derived-from-step gdalwarp\\ LAST6 --output" \
		"find --derived-from-step tail\ -n\ +2 --output" \
		"find --reads-matching *.csv ^station,temp$ --output" \
		"find --reads-matching data/f1 x --output" \
		"compare @1 @201" "compare @1 @201 --json"; do
		args=${q//ID/$id}
		args=${args//LAST5/data\/f$((m - 5))}
		args=${args//LAST6/data\/f$((m - 6))}
		best=
		for _ in 1 2 3; do
			t0=$(now)
			lines=$(eval "\"$cairn\" $args" 2>/dev/null | wc -l) || true
			t1=$(now)
			t=$(echo "$t1 - $t0" | bc)
			if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
		done
		note "$q" "$n" "$best" "$lines"
	done
	cd "$top"
	rm -rf "$dir"
	# status reads each path once: a project of 1 000 files rewritten
	# over N steps, not N files.
	"$fixture" -C "$dir" synth "$n" 200 1 1000
	cd "$dir"
	best=
	for _ in 1 2 3; do
		t0=$(now)
		lines=$("$cairn" status | wc -l)
		t1=$(now)
		t=$(echo "$t1 - $t0" | bc)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	note "status, 1 000 files" "$n" "$best" "$lines"
	cd "$top"
	rm -rf "$dir"
done

# The table: seconds at each size (recording: ms per step), lines of
# output, and the growth from the first size to the last.
printf '%-52s' "command"
for n in "${sizes[@]}"; do printf ' %10s %7s' "$n" "lines"; done
printf ' %7s\n' "growth"
first=${sizes[0]}
last=${sizes[${#sizes[@]} - 1]}
for name in "${names[@]}"; do
	label=$name
	[ "$name" = "record (ms/step)" ] || label="$name (s)"
	printf '%-52s' "$label"
	for n in "${sizes[@]}"; do
		if [ "$name" = "record (ms/step)" ]; then
			printf ' %10.2f %7s' "$(echo "${T[$name|$n]} * 1000" | bc -l)" "-"
		else
			printf ' %10.3f %7s' "${T[$name|$n]}" "${L[$name|$n]}"
		fi
	done
	printf ' %6.2fx\n' "$(echo "${T[$name|$last]} / ${T[$name|$first]}" | bc -l)"
done
