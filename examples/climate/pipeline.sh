#!/bin/bash
# A year of monthly climate grids: precipitation (pr) and mean air
# temperature (tas) in 1999 over North Carolina and its neighbours
# (33-37 N, 85-75 W), a CF NetCDF file of 12 x 33 x 81 cells (the BCSD
# gridded observations, shipped by Debian's r-cran-stars).  In a working
# directory holding this script and bin/ (see README.md):
#
#   examples/climate/get-data.sh   # once: data/bcsd_obs_1999.nc
#   cairn run pipeline.sh          # or: bash pipeline.sh -- the same results
#
# Each top-level command below is one cairn step.  Outputs go to out/.
set -euo pipefail
mkdir -p out

# 1. what the file holds: its variables are GDAL subdatasets
gdalinfo data/bcsd_obs_1999.nc | grep -E '^  SUBDATASET_[0-9]+_(NAME|DESC)='

# 2. each variable as a GeoTIFF of 12 bands, one a month (the file names
#    no CRS: its grid is plain longitude/latitude)
gdal_translate -q -of GTiff -a_srs EPSG:4326 NETCDF:data/bcsd_obs_1999.nc:pr out/pr.tif
gdal_translate -q -of GTiff -a_srs EPSG:4326 NETCDF:data/bcsd_obs_1999.nc:tas out/tas.tif

# 3. the per-month summary, as a CSV table
bin/monthly.py out/pr.tif out/tas.tif out/monthly.csv
