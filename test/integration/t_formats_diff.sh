#!/bin/bash
# Semantic fingerprints and cairn diff: a GeoTIFF rewritten with another
# DateTime and an HDF5 file rewritten with other object timestamps keep
# their fingerprint; one changed cell changes it; a reprojected raster
# shows its new size, CRS and statistics; versions recorded by steps are
# compared through the store; records carry format summaries and the
# lineage tree shows them.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdal_translate gdalwarp gdaldem "$EGM96"

fp() { "$CAIRN" info "$1" --fingerprint --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])'; }

# --- fingerprints ---------------------------------------------------------
make_dem dem.tif
gdal_translate -q -mo TIFFTAG_DATETIME="2020:01:01 00:00:00" dem.tif t1.tif
gdal_translate -q -mo TIFFTAG_DATETIME="2024:06:30 12:34:56" dem.tif t2.tif
if cmp -s t1.tif t2.tif; then
	fail "the two DateTimes gave the same bytes: the test proves nothing"
fi
expect_match "DateTime is in the file" "2024:06:30 12:34:56" "$(gdalinfo t2.tif)"
f1=$(fp t1.tif)
expect_match "fingerprint: 64 hex digits" '^[0-9a-f]{64}$' "$f1"
expect_eq "fingerprint ignores TIFF DateTime" "$f1" "$(fp t2.tif)"
cp t1.tif cell.tif
set_cell cell.tif 20 10 5
expect_eq "one changed cell: fingerprint differs" "yes" "$([ "$(fp cell.tif)" != "$f1" ] && echo yes)"
gdal_translate -q -a_nodata -1 t1.tif nodata.tif
expect_eq "another nodata: fingerprint differs" "yes" "$([ "$(fp nodata.tif)" != "$f1" ] && echo yes)"
gdal_translate -q -a_srs EPSG:4269 t1.tif nad83.tif
expect_eq "another CRS: fingerprint differs" "yes" "$([ "$(fp nad83.tif)" != "$f1" ] && echo yes)"

make_h5 a.h5
sleep 1.1
make_h5 b.h5
if cmp -s a.h5 b.h5; then
	fail "the HDF5 files have the same bytes: the timestamps did not differ"
fi
expect_eq "fingerprint ignores HDF5 object timestamps" "$(fp a.h5)" "$(fp b.h5)"
make_h5 c.h5 changed
expect_eq "one changed element: fingerprint differs" "yes" "$([ "$(fp c.h5)" != "$(fp a.h5)" ] && echo yes)"

# --- diff of two files -------------------------------------------------------
run_cairn diff t1.tif t1.tif
expect_eq "same file: status" 0 "$RC"
expect_eq "same file: bitwise" "t1.tif and t1.tif are bitwise identical" "$OUT"
run_cairn diff t1.tif t2.tif
expect_eq "other DateTime: status" 0 "$RC"
expect_match "other DateTime: semantically" "^t1.tif and t2.tif are semantically identical" "$OUT"
run_cairn diff a.h5 b.h5 --json
expect_eq "other timestamps: status" 0 "$RC"
expect_eq "other timestamps: how" "semantic" "$(echo "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["how"])')"
run_cairn diff t1.tif cell.tif
expect_eq "one cell: status" 1 "$RC"
expect_eq "one cell: output" "t1.tif and cell.tif differ:
  band 1: 1 cell differs, max abs difference 5 at (x 20, y 10), first at (x 20, y 10)" "$OUT"
run_cairn diff t1.tif cell.tif --json
expect_eq "one cell json" "1 5.0" "$(echo "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["differing_cells"], d["max_abs_diff"])')"
run_cairn diff a.h5 c.h5
expect_eq "h5 changed: status" 1 "$RC"
expect_match "h5 changed: the dataset" "dataset /grp/temp: 1 of 60 elements differ, max abs difference 24 at \[2, 3\]" "$OUT"
"$PY" -c 'import h5py; f = h5py.File("c.h5", "a"); f["added"] = [1, 2]; del f["soft"]; f.close()'
run_cairn diff a.h5 c.h5
expect_match "h5: dataset added" "added dataset /added" "$OUT"
expect_match "h5: link removed" "removed soft_link /soft" "$OUT"

# A reprojected raster.
gdalwarp -q -t_srs EPSG:3857 -te -2000000 -2000000 2000000 2000000 -ts 200 200 dem.tif warped.tif 2>/dev/null
run_cairn diff dem.tif warped.tif
expect_eq "reprojected: status" 1 "$RC"
expect_match "reprojected: size" "size: 1440x721 -> 200x200" "$OUT"
expect_match "reprojected: crs" "crs: EPSG:4326 -> EPSG:3857" "$OUT"
expect_match "reprojected: geotransform" "geotransform: \[-180.125, 0.25, 0, 90.125, 0, -0.25\] -> \[-2000000, 20000, 0, 2000000, 0, -20000\]" "$OUT"
expect_match "reprojected: statistics" "band 1 stats: min -106.991 max 85.3909 mean -1.44411 std 29.2218 -> min" "$OUT"
echo "$OUT" | grep -q 'cells\? differ' && fail "reprojected: cells compared across different shapes"

# Plain files, and trouble.
echo a > x.txt
echo b > y.txt
run_cairn diff x.txt y.txt
expect_eq "text files: status" 1 "$RC"
expect_match "text files: bytes" "the bytes differ" "$OUT"
run_cairn diff x.txt nosuch.txt
expect_eq "missing file: trouble" 2 "$RC"
head -c 100000 t1.tif > trunc.tif
run_cairn diff t1.tif trunc.tif
expect_eq "truncated file: trouble" 2 "$RC"
expect_match "truncated file: message" "^cairn diff: .*trunc.tif" "$ERR"
run_cairn diff a b c
expect_eq "three paths: usage" 2 "$RC"

# --- recorded versions -----------------------------------------------------------
cp t1.tif input.tif
cat > p.sh <<'S'
gdaldem slope input.tif slope.tif -q
gdal_translate -q -of GTiff -mo TIFFTAG_DATETIME="2030:01:01 00:00:00" slope.tif slope.tif.tmp && mv slope.tif.tmp slope.tif
gdalwarp -q -overwrite -t_srs EPSG:3857 -te -2000000 -2000000 2000000 2000000 -ts 100 100 input.tif slope.tif 2>/dev/null
S
run_cairn run p.sh
expect_eq "pipeline: status" 0 "$RC"
s1=$(rec @3 'r["id"]')
s2=$(rec @2 'r["id"]')
s3=$(rec @1 'r["id"]')
expect_eq "record: output summary" "GTiff 1440x721 Float32 EPSG:4326" "$(rec @3 'r["formats"]["slope.tif"]["summary"]')"
expect_eq "record: input summary" "GTiff 1440x721 Float32 EPSG:4326" "$(rec @3 'r["formats"]["input.tif"]["summary"]')"
expect_eq "record: input crs" "4326" "$(rec @3 'r["formats"]["input.tif"]["crs"]["epsg"]')"
expect_eq "record: no WKT in records" "False" "$(rec @3 '"wkt" in r["formats"]["input.tif"]["crs"]')"
expect_eq "record: warped output" "GTiff 100x100 Float32 EPSG:3857" "$(rec @1 'r["formats"]["slope.tif"]["summary"]')"
expect_eq "record: only files in known formats" "['input.tif', 'slope.tif']" "$(rec @1 'sorted(r["formats"])')"
"$CAIRN" lineage slope.tif > lin.txt
expect_match "lineage: summary of the output" "slope.tif  [0-9a-f]{8}  [0-9.]+ KiB  GTiff 100x100 Float32 EPSG:3857" "$(cat lin.txt)"
expect_match "lineage: summary of the input" "input.tif  [0-9a-f]{8}  4.0 MiB  GTiff 1440x721 Float32 EPSG:4326" "$(cat lin.txt)"

run_cairn diff slope.tif --at "$s1" --at "$s2"
expect_eq "diff --at: DateTime only: status" 0 "$RC"
expect_match "diff --at: semantically" "^slope.tif@${s1:0:8} and slope.tif@${s2:0:8} are semantically identical" "$OUT"
run_cairn diff slope.tif --at "$s2" --at "$s3"
expect_eq "diff --at: warped: status" 1 "$RC"
expect_match "diff --at: warped: size" "size: 1440x721 -> 100x100" "$OUT"
run_cairn diff slope.tif --at "$s3"
expect_eq "diff --at one step: against the file: status" 0 "$RC"
expect_eq "diff --at one step: bitwise" "slope.tif@${s3:0:8} and slope.tif are bitwise identical" "$OUT"
run_cairn diff input.tif --at "$s1" --at "$s3"
expect_eq "diff of an input no step wrote: trouble" 2 "$RC"
expect_match "diff of an input: why" "not in the content store" "$ERR"
set_cell slope.tif 1 1 100
run_cairn diff slope.tif
expect_eq "diff against the newest version: status" 1 "$RC"
expect_match "diff against the newest version: the cell" "band 1: 1 cell differs, max abs difference 100 at \(x 1, y 1\)" "$OUT"
run_cairn diff nosuch.tif --at "$s1"
expect_eq "diff --at: path the step did not write: trouble" 2 "$RC"

# A shapefile written by a step: its summary needs the .shx and .dbf
# written beside it.
cat > pts.geojson <<'G'
{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"name": "a"}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
  {"type": "Feature", "properties": {"name": "b"}, "geometry": {"type": "Point", "coordinates": [3, 4]}}]}
G
run_cairn -c 'mkdir -p vec && ogr2ogr -f "ESRI Shapefile" vec/pts.shp pts.geojson'
expect_eq "shapefile step: status" 0 "$RC"
expect_eq "record: shapefile summary" "ESRI Shapefile 1 layer: pts Point 2 EPSG:4326" "$(rec @1 'r["formats"]["vec/pts.shp"]["summary"]')"
expect_eq "record: the input GeoJSON" "GeoJSON 1 layer: pts Point 2 EPSG:4326" "$(rec @1 'r["formats"]["pts.geojson"]["summary"]')"
expect_eq "no links left in .cairn/tmp" "" "$(ls -A .cairn/tmp | grep formats)"

# A step that touches no file in a known format records none.
run_cairn -c 'echo hi > note.txt'
expect_eq "ordinary step: empty formats" "{}" "$(rec @1 'r["formats"]')"

done_testing
