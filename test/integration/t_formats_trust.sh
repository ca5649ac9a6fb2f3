#!/bin/bash
# ctest-labels: security
# The formats helper reads files handed to it by steps and by people, so
# a crafted file must not make it hang, exhaust memory, read what lies
# outside the file, or write anything (issue #16).  Victim files are the
# test's own; nothing here can harm the machine if the helper were broken.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdal_translate ogr2ogr zstd "$PY" "$EGM96"
"$PY" -c 'import h5py, numpy' 2>/dev/null || {
	echo "$T_NAME: skipped: python3-h5py is not installed" >&2
	exit 0
}

# --- slabs bounded in every dimension; too large to fingerprint ------------
phase "huge shapes"
"$PY" - <<'PYEOF'
import h5py
# 1 x 2^28 float64: 2 GiB of (fill) values in 1.4 kB; the old slabs were
# whole rows of dimension 0, one slab of 2 GiB.
with h5py.File("wide.h5", "w") as f:
    f.create_dataset("w", shape=(1, 2**28), dtype="f8", chunks=(1, 2**20))
# 10^6 x 10^6 float64 (8 TB), nothing written, and a copy with one value.
with h5py.File("huge.h5", "w") as f:
    f.create_dataset("h", shape=(10**6, 10**6), dtype="f8", chunks=(1000, 1000))
with h5py.File("huge2.h5", "w") as f:
    f.create_dataset("h", shape=(10**6, 10**6), dtype="f8", chunks=(1000, 1000))[0, 0] = 1
PYEOF
# Under 1 GB of address space the 2 GiB slab cannot be had.  (A
# sanitizer build cannot start under such a limit: its shadow memory is
# terabytes of address space.  Then it is fingerprinted without one.)
if (ulimit -v 1000000 && "$CAIRN" --version) >/dev/null 2>&1; then
	(
		ulimit -v 1000000
		"$CAIRN" info --fingerprint wide.h5 >wide.out 2>&1
		echo $? >wide.rc
	)
else
	echo "$T_NAME: checking only without an address-space limit that 1 x 2^28 is fingerprinted: cairn cannot" \
		"start under one (a sanitizer build)" >&2
	"$CAIRN" info --fingerprint wide.h5 >wide.out 2>&1
	echo $? >wide.rc
fi
expect_eq "1 x 2^28 fingerprinted in bounded memory: status" 0 "$(cat wide.rc)"
expect_match "1 x 2^28 fingerprinted in bounded memory" 'fingerprint [0-9a-f]{64}' "$(cat wide.out)"
start=$SECONDS
run_cairn info huge.h5
expect_eq "info of 10^6 x 10^6: status" 0 "$RC"
expect_match "info of 10^6 x 10^6 says too large" '/h +dataset float64 1000000x1000000 \(too large to fingerprint\)' "$OUT"
run_cairn info --fingerprint huge.h5
expect_eq "fingerprint of 10^6 x 10^6: status" 1 "$RC"
expect_match "fingerprint of 10^6 x 10^6 says too large" 'dataset /h is too large to fingerprint' "$ERR"
run_cairn diff huge.h5 huge2.h5
expect_eq "diff of 10^6 x 10^6: status" 1 "$RC"
expect_match "diff of 10^6 x 10^6 says too large" 'dataset /h: too large to compare its values' "$OUT"
[ $((SECONDS - start)) -lt 60 ] || fail "info, fingerprint and diff of 10^6 x 10^6 took $((SECONDS - start)) s"
run_cairn -c 'cp huge.h5 huge3.h5'
expect_eq "a step writing a 10^6 x 10^6 dataset" 0 "$RC"
expect_match "its record's summary" 'HDF5 .*1000000x1000000 float64' "$(rec @1 'r["formats"]["huge3.h5"]["summary"]')"

# --- HDF5 external raw storage is listed, never read -----------------------
phase "external storage"
OUTSIDE=$(mktemp -d "${TMPDIR:-/tmp}/cairn-outside.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$T_DIR" "$OUTSIDE"' EXIT
"$PY" - "$OUTSIDE" <<'PYEOF2'
import sys, h5py, numpy as np
out = sys.argv[1]
np.full(16, 4242.0).tofile(out + "/canary.bin")
np.full(16, 4343.0).tofile(out + "/other.bin")
for name, ext in (("ext.h5", "canary.bin"), ("ext2.h5", "other.bin")):
    with h5py.File(name, "w") as f:
        f.create_dataset("d", shape=(16,), dtype="f8", external=[(out + "/" + ext, 0, 128)])
        f["plain"] = np.arange(3.0)
PYEOF2
run_cairn info --json ext.h5
expect_eq "info of an external dataset: status" 0 "$RC"
case $OUT in *4242*) fail "info shows the external file's bytes: $OUT" ;; esac
expect_match "info --json lists the external file" "\"name\": \"$OUTSIDE/canary.bin\"" "$OUT"
run_cairn info ext.h5
expect_match "info says external storage, not read" '/d +dataset float64 16 \(external storage in 1 file, not read\)' "$OUT"
fp1=$("$CAIRN" info --fingerprint ext.h5 2>&1 | grep fingerprint)
np_bytes() { "$PY" -c 'import sys, numpy as np; np.full(16, float(sys.argv[2])).tofile(sys.argv[1])' "$@"; }
np_bytes "$OUTSIDE/canary.bin" 1
fp2=$("$CAIRN" info --fingerprint ext.h5 2>&1 | grep fingerprint)
expect_match "fingerprint of an external dataset" '^fingerprint [0-9a-f]{64}$' "$fp1"
expect_eq "the external file's bytes do not affect the fingerprint" "$fp1" "$fp2"
# A FIFO in its place: any open of it would block (timeout says so).
rm -f "$OUTSIDE/canary.bin" "$OUTSIDE/other.bin"
mkfifo "$OUTSIDE/canary.bin" "$OUTSIDE/other.bin"
timeout 60 "$CAIRN" info --fingerprint ext.h5 >ext.out 2>&1
expect_eq "fingerprint with the external file a FIFO: status (124: it was opened)" 0 "$?"
expect_eq "fingerprint with the external file a FIFO" "$fp1" "$(grep fingerprint ext.out)"
timeout 60 "$CAIRN" diff ext.h5 ext2.h5 >ext.out 2>&1
expect_eq "diff with the external files FIFOs: status" 1 "$?"
expect_match "diff says external storage, not read" 'dataset /d: external storage, not read' "$(cat ext.out)"
expect_match "diff names the external files' change" 'dataset /d: external storage files changed' "$(cat ext.out)"
timeout 120 "$CAIRN" -c 'cp ext.h5 ext3.h5' >ext.out 2>&1
expect_eq "a step writing a file with external storage" 0 "$?"
expect_match "its record's summary" '^HDF5 1 group, 2 datasets' "$(rec @1 'r["formats"]["ext3.h5"]["summary"]')"

# --- a job writes nothing ------------------------------------------------------
phase "read-only"
# A GeoPackage in WAL mode: SQLite makes its -wal and -shm files beside
# it to read it (and removes them at close), GDAL's reading would write
# into the directory.  The directory must not change at all.
printf 'id,x,y\n1,10,50\n' >p.csv
mkdir -p g && ogr2ogr -f GPKG g/w.gpkg p.csv -oo X_POSSIBLE_NAMES=x -oo Y_POSSIBLE_NAMES=y
"$PY" -c 'import sqlite3; sqlite3.connect("g/w.gpkg").execute("pragma journal_mode=wal")'
sleep 0.05
before=$(stat -c '%.9Y %.9Z' g; ls -a g)
run_cairn info --fingerprint g/w.gpkg
expect_eq "info of a WAL GeoPackage: status" 0 "$RC"
expect_match "info of a WAL GeoPackage" 'GPKG 1 layer: p Point 1' "$OUT"
expect_eq "reading a WAL GeoPackage wrote nothing beside it" "$before" "$(stat -c '%.9Y %.9Z' g; ls -a g)"

# --- a VRT reading cairn's pipe or a FIFO does not hang cairn ----------------
phase "hanging sources"
# A copy of the helper of our own, so that pgrep finds no other test's.
HELPER=$T_DIR/cairn-formats-$$
cp "$(dirname "$CAIRN")/cairn-formats" "$HELPER"
export CAIRN_FORMATS_HELPER=$HELPER
mkfifo "$OUTSIDE/fifo"
vrt() { echo "<VRTDataset rasterXSize=\"1\" rasterYSize=\"1\"><VRTRasterBand dataType=\"Byte\" band=\"1\"><SimpleSource><SourceFilename relativeToVRT=\"0\">$1</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"; }
vrt /proc/self/fd/1 >fd1.vrt.in
vrt "$OUTSIDE/fifo" >fifo.vrt.in
start=$SECONDS
CAIRN_FORMATS_JOB_WALL=5 timeout 120 "$CAIRN" -c 'cp fd1.vrt.in fd1.vrt; cp fifo.vrt.in fifo.vrt' >hang.out 2>&1
expect_eq "a step writing VRTs that read /proc/self/fd/1 and a FIFO: status" 0 "$?"
[ $((SECONDS - start)) -lt 100 ] || fail "the step took $((SECONDS - start)) s"
expect_match "the FIFO VRT's summary" 'VRT 1x1 Byte' "$(rec @1 'r["formats"]["fifo.vrt"]["summary"]')"
# The fingerprint reads the sources.
start=$SECONDS
CAIRN_FORMATS_JOB_WALL=5 timeout 60 "$CAIRN" info --fingerprint fifo.vrt >hang.out 2>&1
expect_eq "fingerprint of a VRT reading a FIFO: status" 1 "$?"
expect_match "fingerprint of a VRT reading a FIFO: the wall time ended it" 'took longer than cairn allows a summary \(600 s of CPU, 5 s in all\)' "$(cat hang.out)"
CAIRN_FORMATS_JOB_WALL=5 timeout 60 "$CAIRN" info --fingerprint fd1.vrt >hang.out 2>&1
expect_eq "fingerprint of a VRT reading /proc/self/fd/1: status" 1 "$?"
CAIRN_FORMATS_JOB_WALL=5 timeout 60 "$CAIRN" diff fd1.vrt fifo.vrt >hang.out 2>&1
expect_eq "diff of the two: status" 2 "$?"
[ $((SECONDS - start)) -lt 100 ] || fail "fingerprints and diff took $((SECONDS - start)) s"
sleep 0.5
expect_eq "no helper process left behind" "" "$(pgrep -f "$HELPER")"
rm -f "$OUTSIDE/fifo"
unset CAIRN_FORMATS_HELPER

# --- content-store objects are read one way, verified, raw or compressed -----
phase "compressed objects"
mkdir -p p5/.cairn
(
	cd p5 || exit 1
	gdal_translate -q -srcwin 100 100 40 40 "$EGM96" in.tif
	# out.tif twice: other values, then the same values with another
	# timestamp (volatile: semantically identical to a rerun).
	"$CAIRN" -c 'gdal_translate -q -scale 0 100 0 1 in.tif out.tif' &&
		"$CAIRN" -c 'gdal_translate -q -mo TIFFTAG_DATETIME="$(date +%s%N)" in.tif out.tif' &&
		"$CAIRN" cache compress --older 0
) >p5.out 2>&1 || fail "compressed objects: setup failed: $(cat p5.out)"
cd p5 || exit 1
[ -n "$(find .cairn/cas -name '*.zst')" ] || fail "cache compress compressed nothing"
run_cairn diff out.tif --at @1 --at @2
expect_eq "diff --at of compressed objects: status" 1 "$RC"
expect_match "diff --at of compressed objects" 'band 1: 1600 cells differ' "$OUT"
run_cairn diff out.tif --at @1
expect_eq "diff --at of a compressed object against the file" 0 "$RC"
run_cairn verify out.tif
expect_eq "verify with the recorded version compressed: status" 0 "$RC"
expect_match "verify with the recorded version compressed" 'out.tif +semantically identical' "$OUT"
run_cairn -c 'gdalinfo out.tif >info.txt'
expect_eq "a step reading a version whose object is compressed" 0 "$RC"
expect_eq "its record's summary of it" "GTiff 40x40 Float32 EPSG:4326" "$(rec @1 'r["formats"]["out.tif"]["summary"]')"
run_cairn lineage info.txt
expect_match "lineage shows the summary" 'out.tif +[0-9a-f]{8} .* GTiff 40x40 Float32 EPSG:4326' "$OUT"
# A corrupt object: a clear error, never an empty summary.
sha=$(rec @1 'reads()["out.tif"]["sha256"]')
obj=$(find .cairn/cas -name "${sha:2}*")
chmod u+w "$obj" "$(dirname "$obj")"
"$PY" - "$obj" <<'PYEOF2'
import sys
p = sys.argv[1]
if p.endswith(".zst"):
    # a frame of other bytes: decompresses fine, hashes wrong
    import subprocess
    raw = bytearray(subprocess.run(["zstd", "-dc", p], capture_output=True).stdout)
    raw[-100] ^= 0xFF
    open(p, "wb").write(subprocess.run(["zstd", "-c", "-q"], input=bytes(raw), capture_output=True).stdout)
else:
    d = bytearray(open(p, "rb").read()); d[-100] ^= 0xFF; open(p, "wb").write(bytes(d))
PYEOF2
run_cairn diff out.tif --at @2
expect_eq "diff --at of a corrupt object: status" 2 "$RC"
expect_match "diff --at of a corrupt object says so" 'corrupt' "$ERR"
# (The read that found it corrupt moved it aside, docs/store.md: the
# next step's summary is of the file's own bytes, never empty.)
run_cairn -c 'gdalinfo out.tif >info2.txt'
expect_eq "a step reading a version whose object was corrupt: its summary" "GTiff 40x40 Float32 EPSG:4326" "$(rec @1 'r["formats"]["out.tif"].get("summary")')"
expect_match "the corrupt object was moved aside" "." "$(ls .cairn/lost+found 2>/dev/null | head -1)"
cd "$T_DIR" || exit 1

# --- a job sees none of $HOME but the project of the file it reads ----------
phase "home hidden"
FH=$OUTSIDE/home # the home of this test's cairn: never the real one
mkdir -p "$FH/.ssh" "$FH/proj/.cairn" "$FH/other"
printf 'SECRETKEY-%s' $$ >"$FH/.ssh/id_canary"
raw_vrt() { echo "<VRTDataset rasterXSize=\"8\" rasterYSize=\"1\"><VRTRasterBand dataType=\"Byte\" band=\"1\" subClass=\"VRTRawRasterBand\"><SourceFilename relativetoVRT=\"$2\">$1</SourceFilename><ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>8</LineOffset></VRTRasterBand></VRTDataset>"; }
raw_vrt "$FH/.ssh/id_canary" 0 >"$FH/proj/abs.vrt"
raw_vrt ../.ssh/id_canary 1 >"$FH/proj/rel.vrt"
gdal_translate -q -srcwin 0 0 8 8 "$EGM96" "$FH/other/dem.tif"
# (a control: with $HOME elsewhere nothing is hidden, and the VRT reads)
(cd "$FH/proj" && HOME=/nonexistent "$CAIRN" info --stats abs.vrt) >home.out 2>&1
expect_match "control: the canary VRT reads with nothing hidden" 'min [0-9]+ max' "$(cat home.out)"
for v in abs rel; do
	(cd "$FH/proj" && HOME=$FH "$CAIRN" info --stats $v.vrt) >home.out 2>&1
	case $(cat home.out) in *"min "*) fail "$v.vrt read the canary in \$HOME: $(cat home.out)" ;; esac
	expect_match "$v.vrt: the canary is not there" 'No such file or directory' "$(cat home.out)"
	(cd "$FH/proj" && HOME=$FH "$CAIRN" info --fingerprint $v.vrt) >home.out 2>&1
	expect_eq "$v.vrt: no fingerprint of the canary: status" 1 "$?"
done
(cd "$FH/proj" && HOME=$FH "$CAIRN" -c 'cp abs.vrt abs2.vrt') >home.out 2>&1 || fail "a step in a project in \$HOME: $(cat home.out)"
expect_match "a step in a project in \$HOME: its VRT's summary cannot read the canary" 'No such file or directory' "$(cd "$FH/proj" && HOME=$FH rec @1 'r["formats"]["abs2.vrt"]["error"]')"
(cd "$FH/proj" && HOME=$FH "$CAIRN" info --fingerprint ../other/dem.tif) >home.out 2>&1
expect_match "a file outside the project, in \$HOME, by a relative name" '^fingerprint [0-9a-f]{64}$' "$(tail -1 home.out)"

done_testing
