#!/bin/sh
# Put the example's input into data/ of the working directory: the BCSD
# climate grids of 1999 that Debian's r-cran-stars ships.  Takes it from the
# installed package when there is one; otherwise fetches the package with
# `apt-get download` (no installation, no R) and unpacks it into a cache
# directory, $CAIRN_EXAMPLES_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cairn-examples).  Run it once before
# the pipeline; running it again changes nothing.
set -eu
pkg=r-cran-stars
file=usr/lib/R/site-library/stars/nc/bcsd_obs_1999.nc
cache=${CAIRN_EXAMPLES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-examples}/$pkg

if [ -f "/$file" ]; then
	src=/$file
elif [ -f "$cache/$file" ]; then
	src=$cache/$file
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "get-data: fetching $pkg with apt-get download (for ${file##*/})"
	(cd "$tmp" && apt-get download -q "$pkg" >"$tmp/log" 2>&1) || {
		cat "$tmp/log" >&2
		echo "get-data: apt-get download $pkg failed (apt-get update first?)" >&2
		exit 1
	}
	mkdir -p "$cache"
	dpkg -x "$tmp/$pkg"_*.deb "$cache"
	src=$cache/$file
fi
mkdir -p data
cmp -s "$src" "data/${file##*/}" || cp "$src" "data/${file##*/}"
echo "get-data: data/${file##*/} (from $src)"
