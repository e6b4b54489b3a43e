"""Upload check of a 50,000-row German location CSV against the demo city (target: < 2 s for read, validate and
change summary)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of  # noqa: E402
from geo import settings  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.ingest import check_upload  # noqa: E402
from geo.ingest.changes import summarise_changes  # noqa: E402
from geo.ingest.offers import validate_offers  # noqa: E402
from geo.io import read_table  # noqa: E402
from geo.render.web.preview import MAX_PREVIEW_POINTS, upload_preview_map  # noqa: E402

ROWS = 50_000
TARGET_S = 2.0
TYPES = ["Familienbüro", "FGZ", "Lotsendienst", "familienzentrum", "Kita-Sozialarbeit"]
STREETS = ["Hauptstraße", "Kirchstraße", "Schulstraße", "Bahnhofstraße", "Lindenallee", "Am Markt"]


def german_csv(rows: int = ROWS, seed: int = 1) -> bytes:
    """An Excel-style export: ``sep=;`` line, cp1252, decimal commas, WGS84 coordinates, Straße/PLZ/Ort."""
    rng = np.random.default_rng(seed)
    demo = load_demo()
    minx, miny, maxx, maxy = demo.districts.total_bounds
    x = rng.uniform(minx, maxx, 2 * rows)
    y = rng.uniform(miny, maxy, 2 * rows)
    inside = shapely.contains_xy(demo.districts.union_all(), x, y)  # a city's offers lie in the city
    x, y = x[inside][:rows], y[inside][:rows]
    lon, lat = Transformer.from_crs(settings.METRIC_CRS, "EPSG:4326", always_xy=True).transform(x, y)
    lines = ["sep=;", "Nr;Angebotsart;Bezeichnung;Straße;Hausnummer;PLZ;Ort;Plätze;Breite;Länge"]
    kinds = rng.integers(len(TYPES), size=rows)
    streets = rng.integers(len(STREETS), size=rows)
    numbers = rng.integers(1, 200, size=rows)
    capacity = rng.integers(10, 2_500, size=rows)
    for i in range(rows):
        places = f"{capacity[i] // 1000}.{capacity[i] % 1000:03d}" if capacity[i] >= 1000 else str(capacity[i])
        north, east = f"{lat[i]:.6f}".replace(".", ","), f"{lon[i]:.6f}".replace(".", ",")
        lines.append(
            f"A{i + 1:05d};{TYPES[kinds[i]]};Angebot Nr. {i + 1} „Süd“;{STREETS[streets[i]]};{numbers[i]};"
            f"59{i % 100:03d};Musterstadt;{places};{north};{east}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def main() -> None:
    demo = load_demo()
    data = german_csv()
    print(f"file: {ROWS:,} rows, {len(data) / 1024**2:.1f} MB (cp1252, sep=; line, decimal comma, WGS84)")
    seconds, check = best_of(3, lambda: check_upload(data, "standorte.csv", kind="offers", context=demo))
    assert check.ok and len(check.changes.added) == ROWS, [str(p) for p in check.report.errors[:5]]
    verdict = "ok" if seconds < TARGET_S else "MISSED"
    print(f"check_upload (read + validate + change summary): {seconds:.3f} s  (target < {TARGET_S} s: {verdict})")
    print(f"  warnings: {len(check.report.warnings)}, changes: {check.changes}")
    t_map, _ = best_of(3, lambda: upload_preview_map(districts=demo.districts, current=demo.offers, new=check.layer,
                                                      kind="offers").get_root().render())
    total = seconds + t_map
    print(f"check + preview map ({MAX_PREVIEW_POINTS:,} points drawn): {total:.3f} s  "
          f"(target < {TARGET_S} s: {'ok' if total < TARGET_S else 'MISSED'})")
    # Where the time goes.
    t_read, table = best_of(3, lambda: read_table(data, "standorte.csv"))
    t_validate, result = best_of(3, lambda: validate_offers(table, offer_types=demo.offer_types,
                                                            districts=demo.districts))
    t_no_area, _ = best_of(3, lambda: validate_offers(table, offer_types=demo.offer_types))
    print(f"  validate_offers with the location checks (CRS fit per row, distance to the districts) "
          f"{t_validate:.3f} s vs without districts {t_no_area:.3f} s: ratio {t_validate / t_no_area:.2f}")
    layer = result.offers.reset_index(drop=True)
    t_changes, _ = best_of(3, lambda: summarise_changes(demo.offers, layer, key=settings.OFFER_ID))
    t_self, _ = best_of(3, lambda: summarise_changes(layer, layer.copy(), key=settings.OFFER_ID))
    print(f"  read_table {t_read:.3f} s | validate_offers {t_validate:.3f} s | summarise_changes vs demo "
          f"{t_changes:.3f} s | vs itself (50k common ids) {t_self:.3f} s")


if __name__ == "__main__":
    main()
