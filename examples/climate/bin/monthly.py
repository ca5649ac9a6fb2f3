#!/usr/bin/python3
"""Per-month summary of monthly precipitation and temperature grids.

usage: monthly.py PR.tif TAS.tif OUT.csv

PR.tif and TAS.tif: one band a month, as gdal_translate makes them from
a CF NetCDF variable (each band's NETCDF_DIM_time: days since the time
axis's origin).  OUT.csv: one row a month with the grid's mean, minimum
and maximum of each, over the cells that hold data.
"""
import csv
import datetime
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def months(path):
    ds = gdal.Open(path)
    origin = datetime.date(1950, 1, 1)
    units = ds.GetMetadataItem("time#units") or ""
    if units.startswith("days since "):
        origin = datetime.date.fromisoformat(units[len("days since "):][:10])
    for i in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(i)
        day = float(band.GetMetadataItem("NETCDF_DIM_time"))
        a = band.ReadAsArray().astype("float64")
        nodata = band.GetNoDataValue()
        if nodata is not None:
            a = a[a != nodata]
        yield origin + datetime.timedelta(days=day), a, band.GetUnitType()


def main(pr_path, tas_path, out_path):
    rows = []
    for (month, pr, pr_unit), (_, tas, tas_unit) in zip(months(pr_path), months(tas_path)):
        rows.append({"month": month.strftime("%Y-%m"),
                     "pr_mean": pr.mean(), "pr_min": pr.min(), "pr_max": pr.max(),
                     "tas_mean": tas.mean(), "tas_min": tas.min(), "tas_max": tas.max()})
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (v if isinstance(v, str) else f"{v:.2f}") for k, v in r.items()})
    print(f"month    precipitation ({pr_unit}: mean, max)   temperature ({tas_unit}: mean, min, max)")
    for r in rows:
        print(f"{r['month']}  {r['pr_mean']:8.1f} {r['pr_max']:8.1f}"
              f"          {r['tas_mean']:6.1f} {r['tas_min']:6.1f} {r['tas_max']:6.1f}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
