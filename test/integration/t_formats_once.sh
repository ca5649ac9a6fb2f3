#!/bin/bash
# ctest-labels: slow
# Format summaries are made once per content, off the steps' path, by
# one helper per session (issue 19): a second step writing the same bytes
# does not run the helper again; a summary still pending when cairn ends
# is said to be so, and the next session makes it; a cairn killed with a
# summary pending leaves a store that fsck finds clean and whose next
# session completes the summary.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdal_translate gdaldem "$EGM96"

jobs=$T_DIR/jobs.log
export CAIRN_FORMATS_DEBUG_JOBS=$jobs
git config --file .cairn/config --add cache.ignoreEnv CAIRN_TEST_CRASH_AT
git config --file .cairn/config --add cache.ignoreEnv CAIRN_FORMATS_TEST_HOLD
git config --file .cairn/config --add cache.ignoreEnv CAIRN_FORMATS_DEBUG_JOBS
summary() { rec "$1" "r['formats'].get('$2', {}).get('summary')"; }
count() { grep -c "^info $1\$" "$jobs" 2>/dev/null || true; }
pending() { find .cairn/formats/pending -name '*.json' 2>/dev/null | wc -l; }
want="GTiff 160x160 Float32 EPSG:4326"

# --- the same bytes twice, in one session and in the next -------------------
run_cairn -c "gdal_translate -q -projwin -30 20 10 -20 $EGM96 a.tif
cp a.tif b.tif"
expect_eq "first session: status" 0 "$RC"
run_cairn -c "cp a.tif c.tif"
expect_eq "second session: status" 0 "$RC"
expect_eq "a.tif summarised once" 1 "$(count a.tif)"
expect_eq "b.tif (a.tif's bytes) not summarised again" 0 "$(count b.tif)"
expect_eq "c.tif (a.tif's bytes, next session) not summarised again" 0 "$(count c.tif)"
expect_eq "a.tif's record" "$want" "$(summary @3 a.tif)"
expect_eq "b.tif's record" "$want" "$(summary @2 b.tif)"
expect_eq "c.tif's record" "$want" "$(summary @1 c.tif)"
expect_eq "c.tif's size" "$(stat -c %s c.tif)" "$(rec @1 "r['formats']['c.tif']['size_bytes']")"
expect_eq "one summary object for the three" 1 \
	"$(grep -l "$want" .cairn/formats/??/*.json | wc -l)"
expect_eq "nothing pending" 0 "$(pending)"
# The writer waited for the summaries the helper was making: the records
# as stored (not only as read) carry them.
raw=$(git --git-dir=.cairn/lineage.git log --format=%H --glob='refs/cairn/sessions/*' |
	while read -r c; do git --git-dir=.cairn/lineage.git show "$c:step.json" |
		"$PY" -c 'import json,sys; f=json.load(sys.stdin)["formats"]; [print(k, v.get("summary")) for k, v in f.items()]'; done)
expect_eq "stored records: no summary pending" 0 "$(echo "$raw" | grep -c 'pending')"
expect_eq "stored records: the summaries" 5 "$(echo "$raw" | grep -c "^[abc].tif $want")"

# --- a session that ends with its summary not made: said so, made next ------
CAIRN_FORMATS_TEST_HOLD=1 run_cairn -c "gdaldem slope -q a.tif s.tif"
expect_eq "held: status" 0 "$RC"
expect_eq "held: pending job kept" 1 "$(pending)"
expect_eq "held: record says pending" "True" "$(rec @1 "r['formats']['s.tif'].get('pending')")"
run_cairn show @1
expect_match "show says the summary is pending" "format summaries pending.*"$'\n'"  s.tif" "$OUT"
run_cairn -c true
expect_eq "next session: status" 0 "$RC"
expect_eq "next session made it" "GTiff 160x160 Float32 EPSG:4326" "$(summary @2 s.tif)"
expect_eq "next session: nothing pending" 0 "$(pending)"
run_cairn show @2
expect_eq "show: no longer pending" "" "$(echo "$OUT" | grep 'pending')"

# --- cairn killed with a summary pending ------------------------------------
CAIRN_FORMATS_TEST_HOLD=1 CAIRN_TEST_CRASH_AT=committed run_cairn -c "gdaldem hillshade -q a.tif h.tif"
expect_eq "killed: status" 137 "$RC"
expect_eq "killed: the output is in place" 1 "$([ -f h.tif ] && echo 1)"
expect_eq "killed: its summary pending" 1 "$(pending)"
expect_eq "killed: no temporary summary files" 0 \
	"$(find .cairn/formats -name '*.tmp*' | wc -l)"
before=$(count h.tif)
run_cairn -c true
expect_eq "after the kill: next session" 0 "$RC"
expect_eq "after the kill: the killed step is recorded" "gdaldem hillshade -q a.tif h.tif" \
	"$(rec @2 "r['command']")"
expect_eq "after the kill: its summary made" "GTiff 160x160 Byte EPSG:4326" "$(summary @2 h.tif)"
expect_eq "after the kill: made once" $((before + 1)) "$(count h.tif)"
expect_eq "after the kill: nothing pending" 0 "$(pending)"
run_cairn fsck
expect_eq "fsck after the kill and the next session" 0 "$RC"
[ "$RC" = 0 ] || echo "$OUT $ERR" >&2

done_testing
