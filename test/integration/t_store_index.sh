#!/bin/bash
# The query index (.cairn/lineage.db, docs/store.md "Indexes") gives the
# answers the walk of every record gives (CAIRN_QUERY_WALK=1), for each
# find condition and status, on a generated store of varied steps; it
# catches up when it is behind the records (a crash between a record and
# its index update, simulated by recording with the index switched off),
# when it is missing, damaged or another store's; and find answers
# without reading the records of steps outside its answer.
. "$TEST_SRC/test/integration/lib.sh"
: "${PROV_FIXTURE:?PROV_FIXTURE must name the prov-fixture tool}"
export TZ=UTC
FIX() { "$PROV_FIXTURE" "$@" >/dev/null || fail "fixture step: $*"; }

mkdir proj && cd proj || exit 1
"$CAIRN" -q init || fail "init"
mkdir -p in out
for i in 0 1 2 3; do printf 'header: station %s\nvalue %s\n' "$i" "$((i * 7))" >in/raw$i.csv; done

# A deterministic mix: five programs, arguments -m 0..3, one or two inputs
# from the files made so far, outputs new or rewritten (a command run
# again reads the output it replaces), companions deleted.
RANDOM=22
files=(in/raw0.csv in/raw1.csv in/raw2.csv in/raw3.csv)
progs=(gdalwarp gdaldem sort sed python3)
gen_steps() { # FIRST COUNT
	local i p a in1 in2 out cmd day extra
	for ((i = $1; i < $1 + $2; i++)); do
		p=${progs[RANDOM % 5]}
		a="-m $((RANDOM % 4))"
		in1=${files[RANDOM % ${#files[@]}]}
		in2=${files[RANDOM % ${#files[@]}]}
		if ((RANDOM % 3 == 0 && ${#files[@]} > 6)); then
			out=${files[4 + RANDOM % (${#files[@]} - 4)]} # rewrite an output
		else
			out=out/o$i.txt
			files+=("$out")
		fi
		[ "$in1" = "$out" ] && in1=in/raw0.csv
		cmd="$p $a $in1 $in2 $out"
		day=$(printf '2026-12-%02dT%02d:00:00.000Z' $((1 + i % 27)) $((i % 24)))
		extra=()
		((RANDOM % 4 == 0)) && [ -e "$out" ] && extra+=(--read "$out")
		if ((RANDOM % 5 == 0)) && [ -e "$out.aux.xml" ]; then
			extra+=(--read "$out.aux.xml" --delete "$out.aux.xml")
		fi
		{ cat "$in1" "$in2"; echo "step $i $p"; } >"$out.tmp" && mv "$out.tmp" "$out"
		FIX step --command "$cmd" --argv "$cmd" --started "$day" \
			--read "$in1" --read "$in2" "${extra[@]}" --write "$out"
		[ ${#extra[@]} -gt 2 ] && rm -f "$out.aux.xml"
		if ((RANDOM % 6 == 0)); then # gdalinfo -stats leaves a companion
			echo "stats $i" >"$out.aux.xml"
			FIX step --command "gdalinfo -stats $out" --argv "gdalinfo -stats $out" \
				--started "$day" --read "$out" --write "$out.aux.xml"
		fi
	done
}
gen_steps 0 40
"$CAIRN" tag in/raw1.csv origin=north >/dev/null || fail "tag a file"
"$CAIRN" tag in/raw2.csv origin=south >/dev/null || fail "tag a file"
"$CAIRN" tag @5 stage=qa >/dev/null || fail "tag a step"
"$CAIRN" tag @9 stage=final >/dev/null || fail "tag a step"
"$CAIRN" tag @9 review=yes >/dev/null || fail "tag a step"
"$CAIRN" tag @20 stage=draft >/dev/null || fail "tag a step"

queries=(
	"--command gdalwarp"
	"--command gdal*"
	"--command *sort*"
	"--command /usr/bin/sed*"
	"--arg -m\ 2"
	"--command python3* --arg -m\ 1"
	"--arg in/raw3.csv"
	"--reads in/raw0.csv"
	"--reads out/o7.txt"
	"--writes out/o3.txt"
	"--derived-from in/raw2.csv"
	"--derived-from out/o5.txt --output"
	"--since 2026-12-20"
	"--since 2026-12-10\ 05:00 --command sed*"
	"--weekday tuesday"
	"--own-tag stage=qa,final"
	"--own-tag stage --own-tag stage!=draft"
	"--own-tag review"
	"--tag origin=north"
	"--tag origin=north,south --output"
	"--tag origin!=north"
	"--tag origin!=north,south --command sort*"
	"--tag stage=final"
	"--tag stage!=qa --tag origin=south"
	"--derived-from-step gdalwarp\ -m\ 1"
	"--derived-from-step gdal*\ -m\ 0 --output"
	"--derived-from-step sort --command sed*"
	"--derived-from-step nothing-ran-this"
	"--reads-matching *.csv station\ 3"
	"--reads-matching in/raw1.csv ^value --output"
	"--reads-matching raw?.csv value\ 14 --tag origin=south"
	"--reads-matching *.txt step\ [0-9]+\ sed"
	"--arg -m\ 3 --output --json"
	"--tag origin=north --json"
)
compare_all() { # WHAT
	local q a b n=0
	for q in "${queries[@]}"; do
		a=$(eval "\"$CAIRN\" find $q" 2>&1)
		b=$(eval "CAIRN_QUERY_WALK=1 \"$CAIRN\" find $q" 2>&1)
		[ "$a" = "$b" ] || fail "$1: find $q: the index says
$a
and the walk
$b"
		[ -n "$a" ] && n=$((n + 1))
	done
	a=$("$CAIRN" status 2>&1)
	b=$(CAIRN_QUERY_WALK=1 "$CAIRN" status 2>&1)
	[ "$a" = "$b" ] || fail "$1: status: the index says
$a
and the walk
$b"
	echo "$n"
}

phase "indexed answers are the walk's"
nonempty=$(compare_all "first store")
# Most queries must have an answer, or the comparison proves little.
[ "$nonempty" -ge 28 ] || fail "only $nonempty of ${#queries[@]} queries have an answer"
[ -f .cairn/lineage.db ] || fail "no .cairn/lineage.db after a query"

phase "an index behind the records catches up (a crash before its update)"
cp .cairn/lineage.db ../old.db
# Recorded with the index switched off: the records are stored, the
# index is not told, as when cairn dies between the two.
CAIRN_QUERY_WALK=1 gen_steps 40 15
CAIRN_QUERY_WALK=1 "$CAIRN" tag "${files[5]}" stage=late >/dev/null || fail "tag"
CAIRN_QUERY_WALK=1 "$CAIRN" tag in/raw3.csv origin=west >/dev/null || fail "tag"
queries+=("--own-tag stage=late" "--tag origin=west --output")
compare_all "index behind" >/dev/null

phase "an older copy of the index"
cp ../old.db .cairn/lineage.db
rm -f .cairn/lineage.db-wal .cairn/lineage.db-shm
compare_all "older copy" >/dev/null

phase "a missing index, a damaged one"
rm -f .cairn/lineage.db*
compare_all "missing" >/dev/null
[ -f .cairn/lineage.db ] || fail "the index was not rebuilt"
head -c 3000 /dev/urandom >.cairn/lineage.db
rm -f .cairn/lineage.db-wal .cairn/lineage.db-shm
compare_all "damaged" >/dev/null

phase "another store's index"
mkdir ../other && (cd ../other && "$CAIRN" -q init && echo x >a &&
	"$PROV_FIXTURE" step --command 'cp a b' --argv 'cp a b' --read a --write a >/dev/null &&
	"$CAIRN" find --reads a >/dev/null) || fail "other store"
cp ../other/.cairn/lineage.db .cairn/lineage.db
rm -f .cairn/lineage.db-wal .cairn/lineage.db-shm
compare_all "another store's" >/dev/null

phase "fsck: a query index that disagrees with the index chain"
run_cairn fsck
expect_eq "fsck of a caught-up index" "0" "$RC"
sqlite3 .cairn/lineage.db 'DELETE FROM step WHERE ord = 7' 2>/dev/null ||
	python3 -c 'import sqlite3; c = sqlite3.connect(".cairn/lineage.db"); c.execute("DELETE FROM step WHERE ord = 7"); c.commit()'
run_cairn fsck
expect_eq "fsck finds it" "1" "$RC"
expect_match "and says so" "query index .* holds [0-9]+ steps" "$OUT"
compare_all "after fsck" >/dev/null
run_cairn fsck
expect_eq "fsck after the rebuild" "0" "$RC"

phase "find does not read the records of steps outside its answer"
want=$("$CAIRN" find --command 'gdalwarp*' --arg '-m 1')
[ -n "$want" ] || fail "no gdalwarp -m 1 step"
# Remove the record of the oldest step that is not in the answer.
victim=$("$CAIRN" find --since 2000-01-01 --json | python3 -c '
import json, sys
steps = json.load(sys.stdin)
print([s["id"] for s in steps if not s["command"].startswith("gdalwarp -m 1 ")][-1])')
commit=$(git --git-dir .cairn/lineage.git log --all --format='%H %s' | while read -r h s; do
	git --git-dir .cairn/lineage.git show "$h:step.json" 2>/dev/null | grep -q "\"id\": \"$victim\"" && echo "$h" && break
done)
[ -n "$commit" ] || fail "no commit for $victim"
blob=$(git --git-dir .cairn/lineage.git rev-parse "$commit:step.json")
rm -f ".cairn/lineage.git/objects/${blob:0:2}/${blob:2}"
run_cairn find --command 'gdalwarp*' --arg '-m 1'
expect_eq "find through the index, one record gone" "0" "$RC"
expect_eq "the same answer" "$want" "$OUT"
CAIRN_QUERY_WALK=1 "$CAIRN" find --command 'gdalwarp*' --arg '-m 1' >/dev/null 2>&1 &&
	fail "the walk read every record: it should have failed on the missing one"

done_testing
