#!/bin/bash
# cmake --install: the binary, the formats helper and cairn(1) land under
# the prefix, and the installed cairn finds its helper there (beside it,
# else ../libexec/cairn/ from /proc/self/exe: formats/formats.c,
# helper_path()) -- also when the tree is staged with DESTDIR and run from
# where it was staged.  A step writing a GeoTIFF proves it: its record's
# format summary (`cairn show`), `cairn lineage` and `cairn info` come
# from the helper.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need cmake gdal_translate man "$EGM96"

build=$(dirname "$CAIRN")
[ -f "$build/cmake_install.cmake" ] || {
	echo "$T_NAME: $build is not a cmake build directory" >&2
	exit 1
}

phase "cmake --install with DESTDIR"
dest=$T_DIR/dest
if ! DESTDIR=$dest cmake --install "$build" --prefix /opt/cairn >"$T_DIR/install.log" 2>&1; then
	fail "cmake --install failed: $(tail -5 "$T_DIR/install.log")"
	done_testing
fi
inst=$dest/opt/cairn
for f in bin/cairn libexec/cairn/cairn-formats share/man/man1/cairn.1; do
	[ -f "$inst/$f" ] || fail "not installed: $f"
done
[ -x "$inst/bin/cairn" ] && [ -x "$inst/libexec/cairn/cairn-formats" ] ||
	fail "installed programs are not executable"
[ -e "$inst/bin/cairn-formats" ] && fail "the helper was installed beside cairn, not in libexec/cairn"

# The installed cairn alone: no helper named in the environment, none on
# PATH, and the build directory (which holds one beside its cairn) out of
# the way.
unset CAIRN_FORMATS_HELPER
export PATH=/usr/bin:/bin
CAIRN=$inst/bin/cairn

phase "a step writing a GeoTIFF, run by the installed cairn"
run_cairn -c "gdal_translate -q -of GTiff $EGM96 dem.tif"
expect_eq "step status" 0 "$RC"
summary="GTiff 1440x721 Float32 EPSG:4326"
run_cairn show @1 --json
expect_eq "show --json: the record's format summary" "$summary" "$(echo "$OUT" |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["formats"]["dem.tif"]["summary"])' 2>&1)"
run_cairn show @1
expect_match "show prints the summary" "formats:.*dem.tif  $summary" "$(echo "$OUT" | tr '\n' ' ')"
run_cairn lineage dem.tif
expect_match "lineage prints the summary" "dem.tif .*$summary" "$OUT"
run_cairn info dem.tif
expect_eq "info status" 0 "$RC"
expect_match "info prints the summary" "summary +$summary" "$OUT"

# Without the installed helper the same commands lose the summary: what
# was found above was the helper under the prefix.
phase "the helper moved away"
mv "$inst/libexec/cairn/cairn-formats" "$T_DIR/helper.away"
run_cairn info dem.tif
[ "$RC" -ne 0 ] || fail "info worked without the installed helper: $OUT"
expect_match "info names the missing helper" "formats helper" "$ERR"
mv "$T_DIR/helper.away" "$inst/libexec/cairn/cairn-formats"

phase "man -l of the installed page"
page=$(MANWIDTH=80 man -P cat -l "$inst/share/man/man1/cairn.1" 2>&1)
expect_eq "man -l status" 0 "$?"
expect_match "man page: name" "cairn - a shell that runs each command as a recorded step" "$page"
expect_match "man page: header" "CAIRN\(1\)" "$page"

done_testing
