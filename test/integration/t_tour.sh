#!/bin/bash
# ctest-labels: slow
# The README's first command, scripts/demo, with CAIRN set (no install, no
# build): its tour of examples/geospatial in a temporary directory.  Each
# stage's ran/cached counts, from the tour's summary lines and from the
# store itself (cairn log --json, one session per run): the first run runs
# every step, the second serves every step from the cache, and after the
# threshold file changes exactly the mask, the zonal table and the map run.
# Then what the later stages leave: lineage.svg, a reproduced verify, the
# report.  Both examples also run unchanged under plain bash, with the same
# outputs as under cairn.  The DEM and the NetCDF file come from Debian's
# r-cran-stars (apt-get download, cached beside the binary as
# examples-data/); without them the test is skipped.
. "$TEST_SRC/test/integration/lib.sh"

for p in gdalwarp gdaldem gdal_calc.py gdal_translate gdalinfo dot; do
	command -v "$p" >/dev/null || { echo "$T_NAME: skipped: no $p"; exit 0; }
done
/usr/bin/python3 -c 'import osgeo, h5py, matplotlib' 2>/dev/null ||
	{ echo "$T_NAME: skipped: no python3-gdal, python3-h5py or python3-matplotlib"; exit 0; }

# The example data, cached between runs of the test.
if [ -z "${CAIRN_EXAMPLES_CACHE:-}" ]; then
	CAIRN_EXAMPLES_CACHE=$(dirname "$(realpath "$CAIRN")")/examples-data
	mkdir -p "$CAIRN_EXAMPLES_CACHE" 2>/dev/null && [ -w "$CAIRN_EXAMPLES_CACHE" ] ||
		CAIRN_EXAMPLES_CACHE=$T_DIR/examples-data
fi
export CAIRN_EXAMPLES_CACHE
phase "get the example data"
mkdir "$T_DIR/probe"
for ex in geospatial climate; do
	(cd "$T_DIR/probe" && "$TEST_SRC/examples/$ex/get-data.sh") >"$T_DIR/get.log" 2>&1 || {
		echo "$T_NAME: skipped: the example data could not be had: $(tail -n 3 "$T_DIR/get.log")"
		exit 0
	}
done

# --- the tour ------------------------------------------------------------
phase "scripts/demo"
tour=$T_DIR/tour
t0=$SECONDS
CAIRN_DEMO_DIR=$tour bash "$TEST_SRC/scripts/demo" >"$T_DIR/tour.out" 2>"$T_DIR/tour.err" </dev/null
rc=$?
echo "$T_NAME: the tour took $((SECONDS - t0)) s"
expect_eq "scripts/demo's exit status (stderr: $(tail -n 5 "$T_DIR/tour.err"))" 0 "$rc"

# The summary line of each run, as the tour printed it.
summaries=$(grep -E '^  [0-9]+ steps: [0-9]+ ran, [0-9]+ cached, in ' "$T_DIR/tour.out" |
	sed -E 's/^  ([0-9]+) steps: ([0-9]+) ran, ([0-9]+) cached.*/\1 \2 \3/')
expect_eq "the tour's summary lines (steps ran cached)" "8 8 0
8 0 8
8 3 5" "$summaries"

# The same counts from the store: one session per run, oldest first.
cd "$tour" || exit 1
counts=$("$CAIRN" log --json -n 1000 | python3 -c '
import json, sys
sessions = {}
for r in reversed(json.load(sys.stdin)):
    s = sessions.setdefault(r["session"], [0, 0, []])
    s[1 if r["cached"] else 0] += 1
    if not r["cached"]:
        s[2].append(r["command"].split()[0])
for ran, cached, cmds in sessions.values():
    print(ran, cached, ",".join(cmds))')
expect_eq "ran, cached and the commands that ran, per session (cairn log)" \
	"8 0 set,mkdir,gdalwarp,gdaldem,gdaldem,gdal_calc.py,bin/zonal.py,bin/map.py
0 8 
3 5 gdal_calc.py,bin/zonal.py,bin/map.py" "$counts"

# What the later stages said and left.
grep -q 'ran because an input changed: steep_slope_deg.txt: content changed' "$T_DIR/tour.out" ||
	fail "cairn why grids/steep.tif did not name the threshold file"
grep -q 'ran because an input changed: grids/steep.tif: content changed' "$T_DIR/tour.out" ||
	fail "cairn why results/map.png did not name the mask"
grep -q 'served from the cache' "$T_DIR/tour.out" ||
	fail "cairn why grids/slope.tif did not say it was served from the cache"
grep -q -- '-- steep_slope_deg.txt .*(raw input)' "$T_DIR/tour.out" ||
	fail "the lineage tree does not reach the threshold file"
grep -q '<svg' lineage.svg 2>/dev/null || fail "lineage.svg is not an SVG"
grep -q '^  reproduced: every output is identical' "$T_DIR/tour.out" ||
	fail "cairn verify did not reproduce the map: $(grep -A 20 'cairn verify' "$T_DIR/tour.out")"
last=$(tail -n 2 "$T_DIR/tour.out" | head -n 1)
expect_eq "the tour's last lines name the report" "Report: $tour/report.html" "$last"
[ -s "$tour/report.html" ] || fail "no report at $tour/report.html"
grep -q '<svg' "$tour/report.html" || fail "the report has no graph"
for f in results/map.png results/zones.h5; do
	[ -s "$tour/$f" ] || fail "the pipeline left no $f"
done

# A fourth run, as the tour runs it (its settings not in the environment,
# the output to one file): nothing left to do.
env -u CAIRN -u CAIRN_DEMO_DIR -u CAIRN_EXAMPLES_CACHE -u CAIRN_STORE \
	"$CAIRN" run pipeline.sh >"$T_DIR/run4.out" 2>&1 </dev/null ||
	fail "a fourth run failed: $(cat "$T_DIR/run4.out")"
expect_eq "the fourth run's steps served from the cache" "8 of 8" \
	"$("$CAIRN" log --json -n 8 | python3 -c 'import json,sys; l=json.load(sys.stdin); print(sum(r["cached"] for r in l), "of", len(l))')"

# --- both examples under plain bash: the same outputs ---------------------
phase "the examples under plain bash"
mkdir "$T_DIR/bash-geo"
cp -rp "$tour"/pipeline.sh "$tour"/bin "$tour"/steep_slope_deg.txt "$T_DIR/bash-geo/"
cp -rp "$tour/data" "$T_DIR/bash-geo/"
(cd "$T_DIR/bash-geo" && bash pipeline.sh >out.txt 2>&1) || fail "geospatial: bash pipeline.sh failed: $(cat "$T_DIR/bash-geo/out.txt")"
for f in grids/dem.tif grids/slope.tif grids/hillshade.tif grids/steep.tif results/zones.h5 results/map.png; do
	cmp -s "$tour/$f" "$T_DIR/bash-geo/$f" || fail "geospatial: $f differs between cairn and bash"
done

mkdir "$T_DIR/clim"
cd "$T_DIR/clim" || exit 1
cp -rp "$TEST_SRC"/examples/climate/pipeline.sh "$TEST_SRC"/examples/climate/bin .
"$TEST_SRC/examples/climate/get-data.sh" >/dev/null
cp -rp . "$T_DIR/bash-clim"
(cd "$T_DIR/bash-clim" && bash pipeline.sh >out.txt 2>&1) || fail "climate: bash pipeline.sh failed: $(cat "$T_DIR/bash-clim/out.txt")"
phase "the climate example under cairn, twice"
"$CAIRN" init . >/dev/null
run_cairn run pipeline.sh
expect_eq "climate: cairn run's status (stderr: $ERR)" 0 "$RC"
expect_eq "climate: output under cairn and bash" "$(cat "$T_DIR/bash-clim/out.txt")" "$OUT"
expect_eq "climate: twelve months" 12 "$(grep -c '^1999-' out/monthly.csv)"
for f in out/pr.tif out/tas.tif out/monthly.csv; do
	cmp -s "$f" "$T_DIR/bash-clim/$f" || fail "climate: $f differs between cairn and bash"
done
run_cairn run pipeline.sh
expect_eq "climate: second run's output" "$(cat "$T_DIR/bash-clim/out.txt")" "$OUT"
expect_eq "climate: steps of the second run served from the cache" "true true true true true true" \
	"$("$CAIRN" log --json -n 6 | python3 -c 'import json,sys; print(" ".join(str(r["cached"]).lower() for r in json.load(sys.stdin)))')"

done_testing
