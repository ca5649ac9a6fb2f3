#!/bin/bash
# ctest-labels: slow
# cairn info on real data: a GeoTIFF DEM (EGM96 from proj-data), NetCDF
# made from it, HDF5 files with groups, soft and external links
# (python-tables-data and h5py); damaged files are errors, not crashes.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdal_translate "$EGM96" "$TABLES/slink.h5" "$TABLES/elink.h5" "$TABLES/python3.h5"

j() { echo "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# --- GeoTIFF DEM -------------------------------------------------------
make_dem dem.tif
run_cairn info dem.tif
expect_eq "tif: status" 0 "$RC"
expect_match "tif: summary" "summary +GTiff 1440x721 Float32 EPSG:4326" "$OUT"
expect_match "tif: crs" "crs +EPSG:4326 \(WGS 84\)" "$OUT"
expect_match "tif: transform" "origin \(-180.125, 90.125\), pixel size \(0.25, -0.25\)" "$OUT"
expect_match "tif: band" "band 1 +Float32  nodata -88.8888" "$OUT"
run_cairn info dem.tif --json
expect_eq "tif json: driver" "GTiff" "$(j 'd["driver"]')"
expect_eq "tif json: size" "1440 721" "$(j 'd["width"], d["height"]' | tr -d '(),')"
expect_eq "tif json: epsg" "4326" "$(j 'd["crs"]["epsg"]')"
expect_eq "tif json: geotransform" "[-180.125, 0.25, 0.0, 90.125, 0.0, -0.25]" "$(j 'd["geotransform"]')"
expect_eq "tif json: band type" "Float32" "$(j 'd["bands"][0]["type"]')"
expect_eq "tif json: no stats unless asked" "False" "$(j '"stats" in d["bands"][0]')"
expect_eq "tif json: file size" "$(stat -c %s dem.tif)" "$(j 'd["size_bytes"]')"
run_cairn info dem.tif --json --stats
# gdalinfo -stats as the reference (on a copy: it writes an .aux.xml).
cp dem.tif ref.tif
ref=$(gdalinfo -stats -json ref.tif | "$PY" -c 'import json,sys; b=json.load(sys.stdin)["bands"][0]; print("%.3f %.3f %.3f" % (b["minimum"], b["maximum"], b["mean"]))')
expect_eq "tif stats match gdalinfo -stats" "$ref" \
	"$(j '"%.3f %.3f %.3f" % (d["bands"][0]["stats"]["min"], d["bands"][0]["stats"]["max"], d["bands"][0]["stats"]["mean"])')"
expect_eq "tif stats: valid count" "$((1440 * 721))" "$(j 'd["bands"][0]["stats"]["valid_count"]')"

# A projected raster: UTM zone 25S, as the example in the issue.
gdalwarp -q -t_srs EPSG:32725 -te 100000 8900000 300000 9100000 -tr 2000 2000 dem.tif utm.tif 2>/dev/null
run_cairn info utm.tif
expect_match "utm: summary" "summary +GTiff 100x100 Float32 EPSG:32725" "$OUT"

# --- NetCDF ------------------------------------------------------------
gdal_translate -q -of netCDF dem.tif dem.nc
run_cairn info dem.nc --json
expect_eq "nc: status" 0 "$RC"
expect_eq "nc: driver" "netCDF" "$(j 'd["driver"]')"
expect_eq "nc: summary" "netCDF 1440x721 Float32 EPSG:4326" "$(j 'd["summary"]')"
# Two variables: subdatasets.
gdal_translate -q -of netCDF -co FORMAT=NC4 dem.tif two.nc
"$PY" - <<'P'
import netCDF4
with netCDF4.Dataset("two.nc", "a") as ds:
    v = ds.createVariable("scaled", "f4", ("lat", "lon"))
    v[:] = ds.variables["Band1"][:] * 2
P
run_cairn info two.nc --json
expect_match "nc4 with two variables: subdatasets" "2 subdatasets: Band1, scaled" "$(j 'd["summary"]')"

# --- vectors -------------------------------------------------------------
cat > pts.geojson <<'G'
{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32725"}},
 "features": [
  {"type": "Feature", "properties": {"name": "olinda", "h": 16}, "geometry": {"type": "Point", "coordinates": [295000, 9112000]}},
  {"type": "Feature", "properties": {"name": "recife", "h": 4}, "geometry": {"type": "Point", "coordinates": [290000, 9105000]}}]}
G
ogr2ogr -f GPKG pts.gpkg pts.geojson -nln towns
run_cairn info pts.gpkg --json
expect_eq "gpkg: status" 0 "$RC"
expect_eq "gpkg: summary" "GPKG 1 layer: towns Point 2 EPSG:32725" "$(j 'd["summary"]')"
expect_eq "gpkg: fields" "['name:String', 'h:Integer']" "$(j '[f["name"] + ":" + f["type"] for f in d["layers"][0]["fields"]]')"

# --- HDF5 ----------------------------------------------------------------
run_cairn info "$TABLES/slink.h5" --json
expect_eq "slink: status" 0 "$RC"
expect_eq "slink: summary" "HDF5 3 groups, 1 dataset, 2 soft links: /arr 2 int64" "$(j 'd["summary"]')"
expect_eq "slink: soft links" "[('/arr2', '/arr'), ('/pep2', '/pep')]" \
	"$(j '[(o["path"], o["target"]) for o in d["objects"] if o["type"] == "soft_link"]')"
run_cairn info "$TABLES/elink.h5" --json
expect_eq "elink: external link" "[('/pep/pep2', 'elink2.h5', '/pep')]" \
	"$(j '[(o["path"], o["file"], o["target"]) for o in d["objects"] if o["type"] == "external_link"]')"
run_cairn info "$TABLES/python3.h5" --json
expect_eq "python3.h5: groups" "['/', '/agroup', '/agroup/agroup3', '/agroup/agroup3/agroup4', '/agroup2']" \
	"$(j '[o["path"] for o in d["objects"] if o["type"] == "group"]')"
expect_eq "python3.h5: root attribute" "41" \
	"$(j '[a["value"] for a in d["objects"][0]["attributes"] if a["name"] == "testattr"][0]')"
make_h5 made.h5
run_cairn info made.h5 --json
expect_eq "made.h5: dataset" "float32 [6, 10] [3, 5] ['deflate']" \
	"$(j '" ".join(str(x) for o in d["objects"] if o["path"] == "/grp/temp" for x in (o["dtype"], o["shape"], o["chunks"], [f["name"] for f in o["filters"]]))')"
expect_eq "made.h5: dataset attribute" "units=K" \
	"$(j '[a["name"] + "=" + a["value"] for o in d["objects"] if o["path"] == "/grp/temp" for a in o["attributes"]][0]')"
expect_eq "made.h5: links" "[('/ext', 'external_link'), ('/soft', 'soft_link')]" \
	"$(j '[(o["path"], o["type"]) for o in d["objects"] if "link" in o["type"]]')"
run_cairn info made.h5
expect_match "made.h5 text: dataset line" "/grp/temp  dataset float32 6x10 chunks 3x5 filters deflate" "$OUT"
expect_match "made.h5 text: external link" "/ext  external_link -> other.h5:/x" "$OUT"

# --- not a known format, missing, damaged --------------------------------
echo hello > plain.txt
run_cairn info plain.txt
expect_eq "plain text: status" 1 "$RC"
expect_match "plain text: message" "not in a format cairn reads" "$ERR"
run_cairn info nosuch.tif
expect_eq "missing: status" 1 "$RC"
run_cairn info
expect_eq "no file: usage" 2 "$RC"

head -c 100000 dem.tif > trunc.tif
run_cairn info trunc.tif --fingerprint
expect_eq "truncated tif: error" 1 "$RC"
expect_match "truncated tif: GDAL's message" "trunc.tif.*(IReadBlock|TIFFRead)" "$ERR"
head -c 3000 made.h5 > trunc.h5
run_cairn info trunc.h5
expect_eq "truncated h5: error" 1 "$RC"
expect_match "truncated h5: HDF5's error stack" "truncated file" "$ERR"
expect_eq "truncated h5: HDF5 printed nothing itself" "" "$(echo "$ERR" | grep -c HDF5-DIAG | grep -v '^0$')"
# Bit flips: every run ends with status 0 or 1 and a message, never a
# signal (the helper's crash on a damaged file is reported as an error).
for src in dem.tif made.h5 "$TABLES/python3.h5"; do
	for seed in $(seq 1 25); do
		flip "$src" flipped "$seed"
		"$CAIRN" info flipped --fingerprint >/dev/null 2>err.txt
		rc=$?
		if [ "$rc" -gt 1 ]; then
			fail "bit-flipped $(basename "$src") (seed $seed): status $rc: $(cat err.txt)"
		elif [ "$rc" -eq 1 ] && ! grep -q '^cairn info: ' err.txt; then
			fail "bit-flipped $(basename "$src") (seed $seed): no message"
		fi
	done
done

done_testing
