# Helpers for the formats tests: real datasets from Debian packages
# (see DATA.md), made into the fixtures the tests need.  Sourced after
# lib.sh.

# Debian's python3, which has GDAL's and h5py's bindings (a python3
# earlier in PATH, such as pyenv's, may not).
PY=/usr/bin/python3
EGM96=/usr/share/proj/egm96_15.gtx
TABLES=/usr/share/python-tables/tests

need() {
	local f
	for f in "$@"; do
		if [ ! -e "$f" ] && ! command -v "$f" >/dev/null 2>&1; then
			echo "$T_NAME: missing $f (scripts/install-deps installs it)" >&2
			exit 1
		fi
	done
}

# dem.tif: the EGM96 geoid as a GeoTIFF, 1440x721 Float32, EPSG:4326.
make_dem() {
	gdal_translate -q -of GTiff "$EGM96" "${1:-dem.tif}"
}

# h5 FILE [changed]: HDF5 file with a group, a chunked gzip dataset with
# an attribute, a soft and an external link; its dataset carries object
# timestamps (h5py track_times), so two files made a second apart differ
# in bytes but not in data.  With "changed", one element differs.
make_h5() {
	"$PY" - "$1" "${2:-}" <<'PYEOF'
import sys, h5py, numpy as np
name, changed = sys.argv[1], sys.argv[2] == "changed"
with h5py.File(name, "w") as f:
    g = f.create_group("grp")
    a = np.arange(60, dtype="f4").reshape(6, 10)
    if changed:
        a[2, 3] = -1
    d = g.create_dataset("temp", data=a, chunks=(3, 5), compression="gzip", track_times=True)
    d.attrs["units"] = "K"
    f["soft"] = h5py.SoftLink("/grp/temp")
    f["ext"] = h5py.ExternalLink("other.h5", "/x")
    f.attrs["title"] = "cairn test"
PYEOF
}

# set_cell FILE X Y DELTA: add DELTA to one cell of band 1, in place.
set_cell() {
	"$PY" - "$@" <<'PYEOF'
import sys
from osgeo import gdal
ds = gdal.Open(sys.argv[1], gdal.GA_Update)
b = ds.GetRasterBand(1)
a = b.ReadAsArray()
a[int(sys.argv[3]), int(sys.argv[2])] += float(sys.argv[4])
b.WriteArray(a)
ds = None
PYEOF
}

# flip FILE OUT SEED: OUT is FILE with 8 bits flipped in its first 4 KiB.
flip() {
	"$PY" - "$@" <<'PYEOF'
import sys, random
random.seed(int(sys.argv[3]))
d = bytearray(open(sys.argv[1], "rb").read())
for _ in range(8):
    i = random.randrange(0, min(len(d), 4096))
    d[i] ^= 1 << random.randrange(8)
open(sys.argv[2], "wb").write(d)
PYEOF
}
