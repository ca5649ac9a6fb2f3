#!/bin/bash
# ctest-labels: slow
# rerun --into and verify on pipelines whose outputs come as several
# files: a shapefile (ogr2ogr writes .shp, .shx, .dbf, .prj), an HDF5
# file reached through an external link, and a gdal_calc.py raster read
# with statistics (its .aux.xml sidecar).  rerun --into another input
# gives what the pipeline gives by hand on that input; verify passes the
# unchanged pipeline.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need ogr2ogr ogrinfo gdal_calc.py gdal_translate gdalinfo "$PY" "$EGM96"
"$PY" -c 'import h5py, numpy' 2>/dev/null || {
	echo "$T_NAME: skipped: python3-h5py is not installed" >&2
	exit 0
}

mkdir -p data out
printf 'id,x,y,v\n1,10,50,3\n2,11,51,4\n3,12,52,5\n' >data/pts.csv
printf 'id,x,y,v\n1,10,50,30\n2,11,51,40\n3,12,52,50\n4,13,53,60\n' >data/pts2.csv
gdal_translate -q -srcwin 100 100 40 40 "$EGM96" data/dem.tif
gdal_translate -q -srcwin 300 200 40 40 "$EGM96" data/dem2.tif
cat >pipeline.sh <<'EOF'
ogr2ogr -f "ESRI Shapefile" out/pts.shp data/pts.csv -oo X_POSSIBLE_NAMES=x -oo Y_POSSIBLE_NAMES=y -a_srs EPSG:4326
ogrinfo -q -al out/pts.shp | grep -E '^ +v \(' | awk '{s += $4} END {print "sum v", s}' > out/shp_sum.txt
/usr/bin/python3 -c "
import csv, h5py, numpy
vals = [float(r['v']) for r in csv.DictReader(open('data/pts.csv'))]
with h5py.File('out/data.h5', 'w') as f: f['vals'] = numpy.array(vals)"
/usr/bin/python3 -c "
import h5py
with h5py.File('out/master.h5', 'w') as f: f['ext'] = h5py.ExternalLink('data.h5', '/vals')"
cd out && /usr/bin/python3 -c "
import h5py
with h5py.File('master.h5', 'r') as f: print('h5 sum', float(f['ext'][()].sum()))" > h5_sum.txt && cd ..
gdal_calc.py --quiet -A data/dem.tif --outfile=out/calc.tif --calc="A*2" --overwrite
gdalinfo -stats out/calc.tif | grep STATISTICS_MAXIMUM > out/calc_max.txt
EOF
run_cairn run pipeline.sh
expect_eq "run" 0 "$RC"
for f in out/pts.shp out/pts.shx out/pts.dbf out/pts.prj out/calc.tif.aux.xml; do
	[ -f "$f" ] || fail "the pipeline did not write $f"
done
expect_eq "shapefile sum" "sum v 12" "$(cat out/shp_sum.txt)"
expect_eq "HDF5 through the external link" "h5 sum 12.0" "$(cat out/h5_sum.txt)"

for t in out/shp_sum.txt out/h5_sum.txt out/calc_max.txt; do
	run_cairn verify "$t"
	expect_eq "verify $t" 0 "$RC"
done

# rerun --into with other inputs = the pipeline by hand on them.
mkdir -p byhand/data byhand/out
cp data/pts2.csv byhand/data/pts.csv
cp data/dem2.tif byhand/data/dem.tif
(cd byhand && bash ../pipeline.sh) || fail "the pipeline by hand failed"
run_cairn rerun out/shp_sum.txt --with data/pts.csv=data/pts2.csv --into alt
expect_eq "rerun --into: shapefile" 0 "$RC"
expect_eq "rerun --into: shapefile sum as by hand" "$(cat byhand/out/shp_sum.txt)" "$(cat alt/out/shp_sum.txt 2>&1)"
for ext in shp shx dbf prj; do
	[ -f "alt/out/pts.$ext" ] || fail "rerun --into: alt/out/pts.$ext missing"
done
run_cairn rerun out/h5_sum.txt --with data/pts.csv=data/pts2.csv --into alt
expect_eq "rerun --into: HDF5" 0 "$RC"
expect_eq "rerun --into: HDF5 sum as by hand" "$(cat byhand/out/h5_sum.txt)" "$(cat alt/out/h5_sum.txt 2>&1)"
run_cairn rerun out/calc_max.txt --with data/dem.tif=data/dem2.tif --into alt
expect_eq "rerun --into: gdal_calc" 0 "$RC"
expect_eq "rerun --into: the maximum as by hand" "$(cat byhand/out/calc_max.txt)" "$(cat alt/out/calc_max.txt 2>&1)"
expect_eq "rerun --into: the working files untouched" "sum v 12" "$(cat out/shp_sum.txt)"
done_testing
