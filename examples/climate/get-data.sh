#!/bin/sh
# Put the example's input into data/ of the working directory: the BCSD
# climate grids of 1999 that Debian's r-cran-stars ships.  Takes it from the
# installed package when there is one; otherwise fetches the package with
# `apt-get download` (no installation, no R) and unpacks it into a cache
# directory, $CAIRN_EXAMPLES_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cairn-examples).  Run it once before
# the pipeline; running it again changes nothing.
exec "$(dirname "$0")/../lib/get-package-file.sh" r-cran-stars usr/lib/R/site-library/stars/nc/bcsd_obs_1999.nc
