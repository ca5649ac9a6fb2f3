#!/usr/bin/python3
"""A map of the steep ground: hillshade, elevation contours, steep cells.

usage: map.py HILLSHADE DEM MASK OUT.png
"""
import sys

import matplotlib

matplotlib.use("Agg")  # no display: write files only
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from osgeo import gdal  # noqa: E402

gdal.UseExceptions()


def read(path):
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    a = band.ReadAsArray().astype("float64")
    nodata = band.GetNoDataValue()
    if nodata is not None:
        a = np.ma.masked_equal(a, nodata)
    x0, dx, _, y0, _, dy = ds.GetGeoTransform()
    extent = (x0, x0 + dx * ds.RasterXSize, y0 + dy * ds.RasterYSize, y0)
    return a, extent


def main(shade_path, dem_path, mask_path, out_path):
    shade, extent = read(shade_path)
    dem, _ = read(dem_path)
    mask, _ = read(mask_path)
    fig, ax = plt.subplots(figsize=(6, 5.5), dpi=100)
    ax.imshow(shade, cmap="gray", extent=extent, interpolation="nearest")
    ax.imshow(dem, cmap="terrain", alpha=0.35, extent=extent, vmin=-10, vmax=100)
    steep = np.ma.masked_where(np.ma.getdata(mask) != 1, np.ones(mask.shape))
    red = matplotlib.colors.ListedColormap(["red"])
    ax.imshow(steep, cmap=red, alpha=0.55, extent=extent, interpolation="nearest")
    cs = ax.contour(np.ma.getdata(dem), levels=[10, 30, 60], colors="k", linewidths=0.6,
                    extent=extent, origin="upper")
    ax.clabel(cs, fmt="%d m", fontsize=7)
    share = 100.0 * float((mask == 1).sum()) / float(mask.count())
    ax.set_title(f"Olinda, Brazil: steep ground (red), {share:.1f}% of the area")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    fig.tight_layout()
    fig.savefig(out_path, metadata={"Software": None})
    print(f"{out_path}: {share:.1f}% steep")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
