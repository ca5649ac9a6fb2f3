#!/bin/sh
# get-package-file.sh PACKAGE PATH: put file /PATH of Debian package
# PACKAGE into data/ of the working directory.  Takes it from the
# installed package when there is one; otherwise fetches the package with
# `apt-get download` (no installation, no dependencies) and unpacks it
# into a cache directory, $CAIRN_EXAMPLES_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cairn-examples).  Running it again
# changes nothing.  Used by the examples' get-data.sh.
set -eu
pkg=$1
file=$2
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
