#!/usr/bin/python3
"""Zonal summary: slope statistics per elevation band, written to HDF5.

usage: zonal.py DEM SLOPE MASK OUT.h5

The zones are elevation bands of DEM (metres); for each band: the number
of cells, its area (km^2), the mean and largest slope (degrees) and the
share of cells MASK marks steep.  OUT.h5 holds one compound dataset,
/zones, with the inputs' names as attributes.
"""
import sys

import h5py
import numpy as np
from osgeo import gdal

gdal.UseExceptions()

BANDS = [("lowland", -1e9, 10.0), ("plain", 10.0, 30.0),
         ("hills", 30.0, 60.0), ("tops", 60.0, 1e9)]


def read(path):
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    a = band.ReadAsArray().astype("float64")
    nodata = band.GetNoDataValue()
    valid = np.ones(a.shape, bool) if nodata is None else a != nodata
    return ds, a, valid


def cell_area_km2(ds):
    # Geographic cells: their size shrinks with latitude.
    x0, dx, _, y0, _, dy = ds.GetGeoTransform()
    rows = np.arange(ds.RasterYSize)
    lat = np.radians(y0 + (rows + 0.5) * dy)
    metres = 111320.0
    area = abs(dx * dy) * metres * metres * np.cos(lat) / 1e6
    return np.repeat(area[:, None], ds.RasterXSize, axis=1)


def main(dem_path, slope_path, mask_path, out_path):
    dem_ds, dem, dem_ok = read(dem_path)
    _, slope, slope_ok = read(slope_path)
    _, mask, mask_ok = read(mask_path)
    area = cell_area_km2(dem_ds)
    ok = dem_ok & slope_ok & mask_ok
    rows = []
    for name, lo, hi in BANDS:
        sel = ok & (dem >= lo) & (dem < hi)
        n = int(sel.sum())
        rows.append((name.encode(),
                     float(dem[sel].min()) if n else np.nan,
                     float(dem[sel].max()) if n else np.nan, n,
                     float(area[sel].sum()),
                     float(slope[sel].mean()) if n else np.nan,
                     float(slope[sel].max()) if n else np.nan,
                     float((mask[sel] == 1).mean()) if n else np.nan))
    dtype = np.dtype([("zone", "S16"), ("elev_min_m", "f8"), ("elev_max_m", "f8"),
                      ("cells", "i8"), ("area_km2", "f8"), ("slope_mean_deg", "f8"),
                      ("slope_max_deg", "f8"), ("steep_fraction", "f8")])
    table = np.array(rows, dtype=dtype)
    with h5py.File(out_path, "w") as f:
        d = f.create_dataset("zones", data=table)
        d.attrs["dem"] = dem_path
        d.attrs["slope"] = slope_path
        d.attrs["mask"] = mask_path
    print(f"{'zone':<8} {'elevation':>10} {'area':>9} {'slope: mean':>12} {'max':>6} {'steep':>6}")
    for r in table:
        print(f"{r['zone'].decode():<8} {r['elev_min_m']:4.0f}-{r['elev_max_m']:3.0f} m "
              f"{r['area_km2']:5.1f} km2 {r['slope_mean_deg']:10.1f} deg {r['slope_max_deg']:4.1f} deg"
              f" {100 * r['steep_fraction']:4.1f}%")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
