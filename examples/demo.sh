#!/bin/bash
# cairn demo: a small geoid analysis on real data shipped by Debian
# (proj-data's EGM96 global geoid model, 1440x721 Float32).
#
# Each top-level command is one cairn step; state (variables, cd,
# functions) carries across steps as in one bash.
set -euo pipefail

geoid=/usr/share/proj/egm96_15.gtx
region="-30 20 10 -20"   # ulx uly lrx lry: the equatorial Atlantic
mkdir -p out

summarise() {
	# min, max and mean of a raster, from gdalinfo's statistics
	gdalinfo -stats "$1" 2>/dev/null |
		awk -F= '/STATISTICS_(MINIMUM|MAXIMUM|MEAN)=/ { sub(/^ +/, "", $1); printf "%s=%.4g ", $1, $2 }'
	echo
}

# 1. cut the region out of the global model
gdal_translate -q -projwin $region -of GTiff "$geoid" out/geoid_atlantic.tif

# 2. terrain-style derivatives of the geoid undulation
gdaldem slope -q -s 111120 out/geoid_atlantic.tif out/geoid_slope.tif
gdaldem hillshade -q -s 111120 out/geoid_atlantic.tif out/geoid_hillshade.tif

# 3. a summary table
for f in out/geoid_atlantic.tif out/geoid_slope.tif; do
	printf '%-24s %s\n' "$(basename "$f")" "$(summarise "$f")"
done | tee out/summary.txt

cd out
echo "outputs in $(basename "$PWD"): $(ls *.tif | wc -l) rasters, $(wc -l < summary.txt) summary lines"
