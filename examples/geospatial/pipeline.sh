#!/bin/bash
# Where is the ground steep around Olinda (Pernambuco, Brazil)?  A small
# terrain analysis of a real DEM (111x111 cells of 90 m in UTM zone 25S,
# shipped by Debian's r-cran-stars).  In a working directory holding this
# script, bin/ and steep_slope_deg.txt (see README.md):
#
#   examples/geospatial/get-data.sh   # once: data/olinda_dem_utm25s.tif
#   cairn run pipeline.sh             # or: bash pipeline.sh -- the same results
#
# Each top-level command below is one cairn step.  Rasters go to grids/,
# the products (an HDF5 table and a PNG map) to results/.
set -euo pipefail
mkdir -p grids results

# 1. reproject the DEM from UTM 25S to longitude/latitude (WGS 84)
gdalwarp -overwrite -q -t_srs EPSG:4326 -r bilinear data/olinda_dem_utm25s.tif grids/dem.tif

# 2. slope (degrees) and hillshade; -s: metres per degree
gdaldem slope -q -s 111120 grids/dem.tif grids/slope.tif
gdaldem hillshade -q -z 3 -s 111120 grids/dem.tif grids/hillshade.tif

# 3. steep cells (1) where the slope exceeds steep_slope_deg.txt's degrees
gdal_calc.py --quiet --overwrite --type=Byte --NoDataValue=255 -A grids/slope.tif --calc="A > $(cat steep_slope_deg.txt)" --outfile=grids/steep.tif

# 4. slope statistics per elevation band, as an HDF5 table
bin/zonal.py grids/dem.tif grids/slope.tif grids/steep.tif results/zones.h5

# 5. the map
bin/map.py grids/hillshade.tif grids/dem.tif grids/steep.tif results/map.png
