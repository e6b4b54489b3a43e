"""Upload check of catchment areas at state scale (~2,800 Schuleinzugsbereiche) and of a births-per-clinic table.

The peer is the districts upload of the very same polygons in the same run (reading, polygon checks, repairs and
reprojection are shared; the catchments check adds types, facility ids, location and overlaps). A second layer
with every area grown by 5 m makes each neighbour pair overlap, so the overlap search has work to do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of  # noqa: E402
from geo import settings  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.ingest import check_upload  # noqa: E402

AREAS = 2_800


def school_areas(demo, n: int = AREAS, grow_m: float = 0.0) -> gpd.GeoDataFrame:
    """About ``n`` grid cells over the demo city (those touching it), 16 vertices each, as WGS84 features."""
    minx, miny, maxx, maxy = demo.districts.total_bounds
    city = demo.districts.union_all()
    side = float(np.sqrt((maxx - minx) * (maxy - miny) / (n * 1.3)))
    cells = [shapely.box(x, y, x + side, y + side) for x in np.arange(minx, maxx, side)
             for y in np.arange(miny, maxy, side)]
    cells = [c for c in cells if c.intersection(city).area > 0.5 * c.area][:n]
    cells = [shapely.segmentize(c.buffer(grow_m, join_style="mitre") if grow_m else c, side / 4) for c in cells]
    ids = [str(100_000 + i) for i in range(len(cells))]
    layer = gpd.GeoDataFrame({"Nr": ids, "Name": [f"Einzugsbereich {i}" for i in ids],
                              "Angebotsart": "Grundschule", "Schulnummer": ids},
                             geometry=cells, crs=settings.METRIC_CRS)
    return layer.to_crs("EPSG:4326")


def births_csv(demo, clinics: int = 4, years: int = 10) -> bytes:
    """One row per Sozialraum, clinic and year, as a German Excel saves it."""
    ids = demo.offers.loc[demo.offers[settings.OFFER_TYPE].isin(["lotsendienst", "geburtsklinik"]), "offer_id"]
    lines = ["Sozialraum-Nr.;Klinik;Geburten;Jahr"]
    for year in range(2015, 2015 + years):
        for district in demo.districts[settings.DISTRICT_ID]:
            lines += [f"{district};{clinic};{(hash((district, clinic, year)) % 400) / 10:.1f}".replace(".", ",")
                      + f";{year}" for clinic in list(ids)[:clinics]]
    return "\r\n".join(lines).encode("cp1252")


def main() -> None:
    demo = load_demo()
    print(f"{'layer':<34} {'areas':>6} {'catchments s':>12} {'districts s':>11} {'ratio':>6} findings")
    for label, grow in (("clean coverage", 0.0), ("every neighbour overlapping 5 m", 5.0)):
        layer = school_areas(demo, grow_m=grow)
        data = layer.to_json(drop_id=True).encode()
        areas, result = best_of(2, lambda data=data: check_upload(data, "seb.geojson", kind="catchments",
                                                                  context=demo))
        peer, _ = best_of(2, lambda data=data: check_upload(
            data, "seb.geojson", kind="districts", context=demo, options={"id_column": "Nr", "name_column": "Name"}))
        print(f"{label:<34} {len(layer):>6} {areas:>12.2f} {peer:>11.2f} {areas / peer:>6.2f} "
              f"{len(result.report.errors)} errors, {len(result.report.warnings)} warnings")
    data = births_csv(demo)
    births, result = best_of(3, lambda: check_upload(data, "geburten.csv", kind="clinic_births", context=demo))
    assert result.ok, result.report.errors[:3]
    rows = data.count(b"\r\n")
    indicators, _ = best_of(3, lambda: check_upload(
        data, "geburten.csv", kind="indicators", context=demo, options={"indicators": {"Geburten": True}}))
    print(f"births per clinic: {rows} rows in {births:.2f} s (the same file as indicators: {indicators:.2f} s, "
          f"ratio {births / indicators:.2f})")


if __name__ == "__main__":
    main()
