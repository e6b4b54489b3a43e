"""Seeded offer files with bad rows of every kind, and what the upload check made of them before issue 14.

``python tests/upload_scale_cases.py ROOT OUT.json`` runs the cases with the ``geo`` package under ROOT (a worktree
of the commit before the issue-14 changes, f43908d) and writes the report, change summary and layers it gave;
``tests/test_upload_scale.py`` checks that the current code gives exactly the same.
"""

from __future__ import annotations

import json
import sys

if __name__ == "__main__":  # the old code's package first
    sys.path.insert(0, sys.argv[1])

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo import settings
from geo.demo import load_demo
from geo.ingest import check_upload
from geo.ingest.offers import validate_offers
from geo.io import read_table

TYPES = ["Familienbüro", "FGZ", "lotsendienst", "Familienzentrum", "KITA-SOZIALARBEIT", "Familienzentren"]
NAMES = ["Kita „Sonnenschein“", "Familienbüro  Süd", "FGZ\tAm Markt", "Lotsendienst St. Marien", "Straßenkinder e.V.",
         "ÖKUMENISCHES ZENTRUM", "Haus der Familie\u00a0Nord", "Σοφία Treff", "Zentrum ﬀ", ""]
STREETS = ["Hauptstraße", "Hauptstr.", "Kirchstrasse", "Schulweg", "Lindenallee", "Am Markt", "Straßburger Platz", ""]


def _rows(rng: np.random.Generator, n: int, coordinates: str, clean: bool = False) -> list[dict[str, str]]:
    """``n`` offers in the demo city with every kind of bad value somewhere (a quarter of the rows; none if
    ``clean``)."""
    demo = load_demo()
    minx, miny, maxx, maxy = demo.districts.total_bounds
    x, y = rng.uniform(minx, maxx, 3 * n), rng.uniform(miny, maxy, 3 * n)
    inside = shapely.contains_xy(demo.districts.union_all(), x, y)
    x, y = x[inside][:n], y[inside][:n]
    if coordinates == "wgs84":
        east, north = Transformer.from_crs(settings.METRIC_CRS, "EPSG:4326", always_xy=True).transform(x, y)
        digits = 6
    else:
        east, north, digits = x, y, 1
    rows = []
    for i in range(n):
        e, no = f"{east[i]:.{digits}f}".replace(".", ","), f"{north[i]:.{digits}f}".replace(".", ",")
        capacity = int(rng.integers(0, 3_000))
        row = {
            "Nr": f"{int(rng.integers(1, 10 * n)):04d}" if rng.random() < 0.1 and not clean else f"A-{i + 1:04d}",
            "Art": TYPES[int(rng.integers(len(TYPES)))],
            "Name": NAMES[int(rng.integers(len(NAMES)))] + ("" if rng.random() < 0.3 else f" {i}"),
            "Straße": STREETS[int(rng.integers(len(STREETS)))],
            "Hausnummer": str(int(rng.integers(1, 90))),
            "PLZ": f"59{int(rng.integers(100, 999))}",
            "Ort": "Musterstadt",
            "Plätze": f"{capacity // 1000}.{capacity % 1000:03d}" if capacity >= 1000 else str(capacity),
            "x": e,
            "y": no,
        }
        bad = 1.0 if clean else rng.random()
        if bad < 0.03:
            row["y"] = ""
        elif bad < 0.06:
            row["Art"] = "Jugendzentrum"
        elif bad < 0.08:
            row["Art"] = ""
        elif bad < 0.10:
            row["x"] = e[:-1] + "x"
        elif bad < 0.12:
            row["Plätze"] = "viele"
        elif bad < 0.13:
            row["Plätze"] = "-5"
        elif bad < 0.15:  # 25 km east: beyond the 5 km allowed
            row["x"] = _moved(east[i], north[i], 25_000, coordinates, digits)
        elif bad < 0.17:  # 1.5 km east: outside, but near
            row["x"] = _moved(east[i], north[i], 1_500, coordinates, digits)
        elif bad < 0.18:  # a digit missing
            row["x"] = e[:2] + e[3:]
        elif bad < 0.19:
            row["x"], row["y"] = no, e  # one row swapped
        elif bad < 0.20:
            row["Nr"] = ""
        elif bad < 0.22:
            row["Nr"] = rows[int(rng.integers(len(rows)))]["Nr"] if rows else row["Nr"]
        elif bad < 0.24:
            row["x"] = f" {e} "  # spaces around
        elif bad < 0.25:
            row["Plätze"] = "1.234,0"
        rows.append(row)
    return rows


def _moved(east: float, north: float, metres: float, coordinates: str, digits: int) -> str:
    if coordinates == "wgs84":
        to_utm = Transformer.from_crs("EPSG:4326", settings.METRIC_CRS, always_xy=True)
        back = Transformer.from_crs(settings.METRIC_CRS, "EPSG:4326", always_xy=True)
        x, y = to_utm.transform(east, north)
        east = back.transform(x + metres, y)[0]
    else:
        east = east + metres
    return f"{east:.{digits}f}".replace(".", ",")


def offer_csv(seed: int, n: int = 150, *, coordinates: str = "wgs84", quoted: bool = False,
              columns: tuple[str, ...] | None = None, clean: bool = False) -> bytes:
    """An Excel-style German CSV (``sep=;`` line, cp1252, decimal comma) of :func:`_rows`.

    ``quoted``: every name in quotes, some with ``;`` or a line break inside (as Excel writes them).
    ``columns``: the columns to write (default all); coordinates as Breite/Länge or Rechtswert/Hochwert.
    """
    rng = np.random.default_rng(seed)
    rows = _rows(rng, n, coordinates, clean)
    x_name, y_name = ("Länge", "Breite") if coordinates == "wgs84" else ("Rechtswert", "Hochwert")
    names = {"x": x_name, "y": y_name}
    keys = list(columns or rows[0])
    lines = ["sep=;", ";".join(names.get(k, k) for k in keys)]
    for i, row in enumerate(rows):
        cells = []
        for k in keys:
            value = row[k]
            if quoted and k == "Name":
                value = value + ("; Haus 2" if i % 7 == 0 else "\r\nHinterhaus" if i % 11 == 0 else "")
                value = '"' + value.replace('"', '""') + '"'
            cells.append(value)
        lines.append(";".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def _again(data: bytes) -> bytes:
    """The same list later: some capacities changed, some offers under a new id (the same name and address)."""
    lines = data.decode("cp1252").split("\r\n")
    for i in range(2, len(lines) - 1, 9):
        cells = lines[i].split(";")
        cells[0 if i % 2 else 7] = f"N-{i}" if i % 2 else "77"
        lines[i] = ";".join(cells)
    return "\r\n".join(lines).encode("cp1252")


def cases() -> dict[str, tuple[bytes, dict, str]]:
    """Case name → (file, options, context: ``"demo"`` or ``"valid"``, the demo with the valid file's offers)."""
    return {
        "wgs84_update": (offer_csv(1), {}, "demo"),
        "utm_replace": (offer_csv(2, coordinates="utm"), {"mode": "replace"}, "demo"),
        "quoted": (offer_csv(3, quoted=True), {}, "demo"),
        "no_id_no_type": (offer_csv(4, columns=("Name", "Straße", "PLZ", "Ort", "x", "y")),
                          {"default_type": "fgz"}, "demo"),
        "again_update": (_again(valid_csv()), {}, "valid"),
        "again_replace": (_again(valid_csv()), {"mode": "replace"}, "valid"),
    }


def valid_csv() -> bytes:
    """A file without a bad row: its offers are the offers in use of the ``valid`` context."""
    return offer_csv(5, 200, clean=True)


def context(name: str):
    """The data set a case is checked against."""
    demo = load_demo()
    if name == "demo":
        return demo
    check = check_upload(valid_csv(), "standorte.csv", kind="offers", context=demo)
    assert check.ok, [str(p) for p in check.report.errors[:5]]
    return demo.with_layers(offers=check.layer)


def run(data: bytes, options: dict, where: str, *, frames: bool = False) -> dict:
    """What the check and the validation of the valid rows give, as plain data (``frames``: the layers too)."""
    ctx = context(where)
    check = check_upload(data, "standorte.csv", kind="offers", context=ctx, options=options)
    table = read_table(data, "standorte.csv")
    valid = validate_offers(table, offer_types=ctx.offer_types, districts=ctx.districts,
                            default_type=options.get("default_type"))
    changes = check.changes
    layers = {"layer_frame": check.layer, "valid_frame": valid.offers} if frames else {}
    return layers | {
        "problems": [[p.severity, p.row, p.column, p.message] for p in check.report.problems],
        "changes": None if changes is None else [changes.added, changes.changed, changes.removed, changes.unchanged],
        "layer": None if check.layer is None else layer_data(check.layer),
        "valid": layer_data(valid.offers),
        "validation_problems": [[p.severity, p.row, p.column, p.message] for p in valid.report.problems],
        "crs_guess": None if valid.crs_guess is None else [valid.crs_guess.crs, valid.crs_guess.swapped,
                                                             valid.crs_guess.reason],
    }


def layer_data(layer: pd.DataFrame) -> dict:
    """A layer as JSON-able data, exactly: index, text and number columns, geometries as WKB hex."""
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    return {
        "index": layer.index.tolist(), "index_name": layer.index.name,
        "columns": {c: [None if pd.isna(v) else v for v in frame[c].tolist()] for c in frame.columns},
        "dtypes": {c: str(frame[c].dtype) for c in frame.columns},
        "wkb": shapely.to_wkb(layer.geometry.to_numpy(), hex=True).tolist(), "crs": layer.crs.to_string(),
    }


if __name__ == "__main__":
    expected = {name: run(*case) for name, case in cases().items()}
    with open(sys.argv[2], "w", encoding="utf-8") as file:
        json.dump(expected, file, ensure_ascii=False, separators=(",", ":"))
