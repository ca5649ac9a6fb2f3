#!/bin/bash
# ctest-labels: slow
# cairn verify: a lineage run again without the cache, into a staging
# directory, its outputs compared with the records.  A deterministic
# pipeline reproduces (exit 0); one that writes the time diverges at
# that step (exit 1), and so does the step downstream of it; working
# files, records and status stay as they were.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdaldem gdal_translate "$PY" "$EGM96"

mkdir -p data
gdal_translate -q -srcwin 100 100 60 50 "$EGM96" data/a.tif
cat >pipeline.sh <<'EOF'
mkdir -p out
gdaldem slope -q data/a.tif out/slope.tif
gdal_translate -q -of AAIGrid out/slope.tif out/slope.asc
gdal_translate -q -mo TIFFTAG_DATETIME="$(date +%H:%M:%S.%N)" out/slope.tif out/dated.tif
date +%s%N > out/stamp.txt
cat out/stamp.txt out/slope.asc > out/final.txt
EOF
run_cairn run pipeline.sh
expect_eq "run" 0 "$RC"

nsteps() { "$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
sums() { find out -type f | sort | xargs sha256sum; }
writer() {
	"$CAIRN" lineage "$1" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_step"])'
}
N0=$(nsteps)
SUMS0=$(sums)
STATUS0=$("$CAIRN" status --json)
LOG0=$("$CAIRN" log --json)

# ---- a deterministic chain reproduces ---------------------------------
run_cairn verify out/slope.asc
expect_eq "deterministic: status" 0 "$RC"
expect_match "deterministic: slope identical" "out/slope.tif +identical" "$OUT"
expect_match "deterministic: asc identical" "out/slope.asc +identical" "$OUT"
expect_match "deterministic: reproduced" "reproduced" "$OUT"
run_cairn verify out/slope.asc --json
expect_eq "deterministic --json: status" 0 "$RC"
expect_eq "deterministic --json" "True None 2" "$(echo "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["reproducible"], d["first_divergent"], len(d["steps"]))')"

# By step: the outputs of the slope step.
SLOPE=$(writer out/slope.tif)
run_cairn verify "${SLOPE:0:8}"
expect_eq "verify STEP: status" 0 "$RC"
expect_match "verify STEP: one step" "1 step run again" "$OUT"

# Bytes differ (TIFF DateTime), values do not: semantically identical.
run_cairn verify out/dated.tif
expect_eq "dated: status" 0 "$RC"
expect_match "dated: semantically identical" "out/dated.tif +semantically identical" "$OUT"

# ---- a step that writes the time diverges, and so does its consumer --------
STAMP=$(writer out/stamp.txt)
run_cairn verify out/final.txt
expect_eq "stamp: status" 1 "$RC"
expect_match "stamp: stamp.txt different" "out/stamp.txt +different" "$OUT"
expect_match "stamp: final.txt different" "out/final.txt +different" "$OUT"
expect_match "stamp: names the first divergent step" "first divergent step: ${STAMP:0:8} \(date \+%s%N > out/stamp.txt\)" "$OUT"
run_cairn verify out/final.txt --json
expect_eq "stamp --json: status" 1 "$RC"
expect_eq "stamp --json" "False $STAMP" "$(echo "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["reproducible"], d["first_divergent"])')"

# A raster whose values change: how much, and where.
run_cairn -c 'gdal_translate -q -scale 0 1 0 "$(date +%N | cut -c1-3)1" -ot Float32 data/a.tif out/scaled.tif'
expect_eq "scaled: run" 0 "$RC"
N0=$(nsteps)
SUMS0=$(sums)
STATUS0=$("$CAIRN" status --json)
LOG0=$("$CAIRN" log --json)
run_cairn verify out/scaled.tif
expect_eq "scaled: status" 1 "$RC"
expect_match "scaled: different, max |diff| and where" "out/scaled.tif +different \(max \|diff\| [0-9.e+]+; band 1: [0-9]+ cells differ, max abs difference [0-9.e+]+ at \(x [0-9]+, y [0-9]+\)" "$OUT"
run_cairn verify out/scaled.tif --json
expect_eq "scaled --json: max_abs_diff and first_difference" "True True" "$(echo "$OUT" | python3 -c '
import json, sys
o = json.load(sys.stdin)["steps"][0]["outputs"][0]
print(o["max_abs_diff"] > 0, set(o["first_difference"]) == {"x", "y"})')"

# ---- nothing changed: files, records, status, staging gone -----------------
expect_eq "working files untouched" "$SUMS0" "$(sums)"
expect_eq "nothing recorded" "$N0" "$(nsteps)"
expect_eq "log unchanged" "$LOG0" "$("$CAIRN" log --json)"
expect_eq "status unchanged" "$STATUS0" "$("$CAIRN" status --json)"
expect_eq "staging removed" "" "$(ls -d .cairn/tmp/verify-* 2>/dev/null)"

# ---- trouble: exit 2 -----------------------------------------------------
run_cairn verify out/never.tif
expect_eq "unknown path: status" 2 "$RC"
expect_match "unknown path: message" "neither a recorded path nor a step" "$ERR"
run_cairn verify
expect_eq "no argument: status" 2 "$RC"

# ---- a step that read /dev/urandom: the report says so ---------------------
run_cairn -c 'mkdir -p rnd && od -An -N16 -tx1 /dev/urandom > rnd/r.txt'
run_cairn verify rnd/r.txt
expect_eq "urandom: differs" 1 "$RC"
expect_match "urandom: output different" "rnd/r.txt +different" "$OUT"
expect_match "urandom: the report names the read" \
	"the step read /dev/urandom: its output may differ from run to run" "$OUT"
run_cairn verify rnd/r.txt --json
expect_eq "urandom --json" "['/dev/urandom']" "$(echo "$OUT" | python3 -c '
import json, sys
print(json.load(sys.stdin)["steps"][0].get("nondeterministic"))')"

done_testing
