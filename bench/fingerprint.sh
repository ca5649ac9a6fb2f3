#!/bin/bash
# Semantic fingerprint throughput (cairn info --fingerprint: every pixel
# read through GDAL and hashed with the georeferencing) against plain
# SHA-256 of the same file by sha256sum and openssl, on a 1 GiB raster:
# the EGM96 geoid from proj-data resampled 16x in each direction to
# 23040x11536 Float32 (1.06 GB, uncompressed GeoTIFF).  The file is read
# once first, so every tool hashes from the page cache; each is timed
# BEST_OF times (default 3) and the best is kept.  Prints MB/s and
# ratios measured in this one run; nothing is asserted.
#   bench/fingerprint.sh [BUILD_DIR]
set -eu
build=$(cd "${1:-build}" && pwd)
cairn=$build/cairn
best_of=${BEST_OF:-3}
dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-fp.XXXXXX")
trap 'rm -rf "$dir"' EXIT

gdal_translate -q -of GTiff -outsize 23040 11536 -r nearest /usr/share/proj/egm96_15.gtx "$dir/big.tif"
size=$(stat -c %s "$dir/big.tif")
cat "$dir/big.tif" >/dev/null

# best SECONDS of BEST_OF runs of COMMAND...
best() {
	local b="" t0 t1 t i
	for i in $(seq "$best_of"); do
		t0=$(date +%s.%N)
		"$@" >/dev/null
		t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then
			b=$t
		fi
	done
	echo "$b"
}

t_fp=$(best "$cairn" info --fingerprint "$dir/big.tif")
t_sum=$(best sha256sum "$dir/big.tif")
t_ssl=$(best openssl dgst -sha256 "$dir/big.tif")
mbs() { echo "$size / $1 / 1000000" | bc -l; }
printf 'file: %s bytes (23040x11536 Float32 GeoTIFF), best of %d\n' "$size" "$best_of"
printf '%-32s %7.3f s  %7.0f MB/s\n' "cairn info --fingerprint" "$t_fp" "$(mbs "$t_fp")"
printf '%-32s %7.3f s  %7.0f MB/s\n' "sha256sum" "$t_sum" "$(mbs "$t_sum")"
printf '%-32s %7.3f s  %7.0f MB/s\n' "openssl dgst -sha256" "$t_ssl" "$(mbs "$t_ssl")"
printf 'fingerprint / sha256sum time: %.2fx\n' "$(echo "$t_fp / $t_sum" | bc -l)"
printf 'fingerprint / openssl time:   %.2fx\n' "$(echo "$t_fp / $t_ssl" | bc -l)"
