#!/bin/sh
# Put the example's input into data/ of the working directory: the DEM of
# Olinda (Brazil) that Debian's r-cran-stars ships.  Takes it from the
# installed package when there is one; otherwise fetches the package with
# `apt-get download` (no installation, no R) and unpacks it into a cache
# directory, $CAIRN_EXAMPLES_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cairn-examples).  Run it once before
# the pipeline; running it again changes nothing.
exec "$(dirname "$0")/../lib/get-package-file.sh" r-cran-stars usr/lib/R/site-library/stars/tif/olinda_dem_utm25s.tif
