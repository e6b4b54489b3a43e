"""Upload check of German offer CSVs: 50,000 rows (target < 2 s), 500,000 rows new vs old code (< 5 s, < 1 GB)."""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

REPO = Path(__file__).resolve().parents[1]
#: A child process (``--child ROOT ...``) imports ``geo`` from ROOT: this clone or a worktree of the old commit.
CHILD = len(sys.argv) > 2 and sys.argv[1] == "--child"
sys.path.insert(0, sys.argv[2] if CHILD else str(REPO))

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
#: The 500,000-row check (issue 14): new code against the code before it, each in a fresh process.
SCALE_ROWS = int(os.environ.get("BENCH_UPLOAD_ROWS", "500000"))
SCALE_TARGET_S, SCALE_TARGET_MB = 5.0, 1024
OLD_COMMIT = "f43908d"
TYPES = ["Familienbüro", "FGZ", "Lotsendienst", "familienzentrum", "Kita-Sozialarbeit"]
STREETS = ["Hauptstraße", "Kirchstraße", "Schulstraße", "Bahnhofstraße", "Lindenallee", "Am Markt"]


UNKNOWN_TYPE = "Jugendzentrum"
#: Kinds of invalid rows :func:`german_csv` puts in (``bad`` rows of each), as a planner's file may have them.
BAD_KINDS = ("no_coordinate", "unknown_type", "duplicate_id", "text_coordinate", "text_capacity", "far", "near")


def german_csv(rows: int = ROWS, seed: int = 1, *, coordinates: str = "wgs84", bad: int = 0) -> bytes:
    """An Excel-style export: ``sep=;`` line, cp1252, decimal commas, Straße/PLZ/Ort, umlauts and „quotes“.

    ``coordinates``: ``"wgs84"`` (Breite/Länge) or ``"utm"`` (Rechtswert/Hochwert in EPSG:25832). Points lie in the
    demo city; ``bad`` rows of each kind in :data:`BAD_KINDS` at seeded places (a missing Breite, an unknown type, an
    id used twice, a letter in a coordinate or the capacity, a point 20 km and one 1.5 km outside the city).
    """
    rng = np.random.default_rng(seed)
    demo = load_demo()
    minx, miny, maxx, maxy = demo.districts.total_bounds
    x = rng.uniform(minx, maxx, 2 * rows)
    y = rng.uniform(miny, maxy, 2 * rows)
    inside = shapely.contains_xy(demo.districts.union_all(), x, y)  # a city's offers lie in the city
    x, y = x[inside][:rows], y[inside][:rows]
    picks = rng.permutation(rows)[: len(BAD_KINDS) * bad].reshape(len(BAD_KINDS), bad) if bad else None
    kind_of = {int(i): kind for kind, group in zip(BAD_KINDS, picks if bad else [], strict=False) for i in group}
    for i, kind in kind_of.items():
        if kind == "far":
            x[i] = maxx + 20_000
        elif kind == "near":
            x[i] = maxx + 1_500
    if coordinates == "wgs84":
        east, north = Transformer.from_crs(settings.METRIC_CRS, "EPSG:4326", always_xy=True).transform(x, y)
        digits, header = 6, "Nr;Angebotsart;Bezeichnung;Straße;Hausnummer;PLZ;Ort;Plätze;Breite;Länge"
    else:
        east, north, digits = x, y, 1
        header = "Nr;Angebotsart;Bezeichnung;Straße;Hausnummer;PLZ;Ort;Plätze;Hochwert;Rechtswert"
    lines = ["sep=;", header]
    kinds = rng.integers(len(TYPES), size=rows)
    streets = rng.integers(len(STREETS), size=rows)
    numbers = rng.integers(1, 200, size=rows)
    capacity = rng.integers(10, 2_500, size=rows)
    for i in range(rows):
        places = f"{capacity[i] // 1000}.{capacity[i] % 1000:03d}" if capacity[i] >= 1000 else str(capacity[i])
        n, e = f"{north[i]:.{digits}f}".replace(".", ","), f"{east[i]:.{digits}f}".replace(".", ",")
        offer_id, kind = f"A{i + 1:05d}", TYPES[kinds[i]]
        match kind_of.get(i):
            case "no_coordinate":
                n = ""
            case "unknown_type":
                kind = UNKNOWN_TYPE
            case "duplicate_id":
                offer_id = f"A{(i + 7) % rows + 1:05d}"
            case "text_coordinate":
                e = e[:-1] + "x"
            case "text_capacity":
                places = "viele"
        lines.append(
            f"{offer_id};{kind};Angebot Nr. {i + 1} „Süd“;{STREETS[streets[i]]};{numbers[i]};"
            f"59{i % 100:03d};Musterstadt;{places};{n};{e}"
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


def _again(data: bytes, share: float = 0.01, seed: int = 3) -> bytes:
    """The same list a while later: ``share`` of the offers with another capacity, as many under new ids."""
    lines = data.decode("cp1252").split("\r\n")
    rng = np.random.default_rng(seed)
    body = np.arange(2, len(lines) - 1)  # after the sep= line and the header, before the final empty string
    picked = rng.choice(body, size=2 * int(share * len(body)), replace=False)
    for k, i in enumerate(picked):
        cells = lines[i].split(";")
        if k % 2:
            cells[0] = "N" + cells[0][1:]
        else:
            cells[7] = "7"
        lines[i] = ";".join(cells)
    return "\r\n".join(lines).encode("cp1252")


def _peak_mb() -> float:
    """This process's peak RSS in MB: ``VmHWM``, the high-water mark of its own address space.

    ``getrusage(RUSAGE_SELF).ru_maxrss`` is no use in a child here: Linux carries it over ``fork`` and ``execve``, so
    a child started by a big parent reports the parent's peak. ``ru_maxrss`` is printed beside it as a check.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(data_path: str, context_path: str, mode: str, out: str) -> None:
    """One check in this fresh process; writes time, peak RSS, report and layer to ``out``."""
    import pandas as pd

    data = Path(data_path).read_bytes()
    demo = load_demo()
    context = demo if context_path == "demo" else demo.with_layers(offers=pd.read_pickle(context_path))
    if not hasattr(settings, "MAX_OFFER_ROWS"):  # the old code refused more than 100,000 rows: lifted for it
        settings.MAX_TABLE_ROWS, settings.MAX_TABLE_CELLS = 10**7, 10**9
    base = _peak_mb()
    start = time.perf_counter()
    check = check_upload(data, "standorte.csv", kind="offers", context=context, options={"mode": mode})
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    changes = check.changes
    result = {
        "seconds": seconds, "peak_mb": peak, "base_mb": base,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "geo": str(Path(sys.modules["geo"].__file__).parent),
        "problems": [(p.severity, p.row, p.column, p.message) for p in check.report.problems],
        "changes": None if changes is None else (changes.added, changes.changed, changes.removed, changes.unchanged),
        "layer": check.layer,
    }
    with open(out, "wb") as file:
        pickle.dump(result, file)


def _run_child(root: Path, data_path: Path, context: str, mode: str, folder: Path) -> dict:
    out = folder / f"result-{time.monotonic_ns()}.pkl"
    subprocess.run([sys.executable, __file__, "--child", str(root), str(data_path), context, mode, str(out)],
                   check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    with open(out, "rb") as file:
        result = pickle.load(file)
    out.unlink()
    return result


def _same(new: dict, old: dict) -> bool:
    """Same report (every message, row, column, severity), same change summary, same layer."""
    from geopandas.testing import assert_geodataframe_equal

    if new["problems"] != old["problems"] or new["changes"] != old["changes"]:
        return False
    if new["layer"] is None or old["layer"] is None:
        return new["layer"] is None and old["layer"] is None
    assert_geodataframe_equal(new["layer"], old["layer"], check_less_precise=False)
    return True


def scale() -> None:
    """500,000 rows: the check in a fresh process per variant, this clone against a worktree of OLD_COMMIT."""
    demo = load_demo()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        folder = Path(tmp)
        old_root = folder / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(old_root), OLD_COMMIT],
                       check=True)
        try:
            files = {"valid": german_csv(SCALE_ROWS), "bad": german_csv(SCALE_ROWS, 2, coordinates="utm", bad=10)}
            files["again"] = _again(files["valid"])
            paths = {}
            for name, data in files.items():
                paths[name] = folder / f"{name}.csv"
                paths[name].write_bytes(data)
                print(f"file {name}: {SCALE_ROWS:,} rows, {len(data) / 1024**2:.1f} MB")
            previous = check_upload(files["valid"], "standorte.csv", kind="offers", context=demo).layer
            previous.to_pickle(folder / "previous.pkl")
            del files, previous
            variants = [
                ("Breite/Länge, valid, against the demo (update)", "valid", "demo", "update"),
                ("Rechtswert/Hochwert, 70 invalid rows (report)", "bad", "demo", "update"),
                (f"again, 1 % changed, 1 % new ids, {SCALE_ROWS:,} in use (update)", "again", "previous", "update"),
                (f"again, over {SCALE_ROWS:,} in use (replace)", "again", "previous", "replace"),
            ]
            print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
            header = ("| variant | new | old | old ÷ new | new peak RSS | old peak RSS | same report and layer "
                      "| problems | target (< 5 s, < 1 GB) |")
            rows = [header, "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |"]
            for label, name, context, mode in variants:
                context = str(folder / "previous.pkl") if context == "previous" else context
                new = _run_child(REPO, paths[name], context, mode, folder)
                old = _run_child(old_root, paths[name], context, mode, folder)
                assert new["geo"] == str(REPO / "geo") and old["geo"] == str(old_root / "geo"), (new["geo"], old["geo"])
                same = _same(new, old)
                met = new["seconds"] < SCALE_TARGET_S and new["peak_mb"] < SCALE_TARGET_MB
                ratio = old["seconds"] / new["seconds"]
                rows.append(
                    f"| {label} | {new['seconds']:.2f} s | {old['seconds']:.2f} s | {ratio:.1f} "
                    f"| {new['peak_mb']:.0f} MB | {old['peak_mb']:.0f} MB | {'yes' if same else 'NO'} "
                    f"| {len(new['problems'])} | {'met' if met else 'missed'} |"
                )
                print(rows[-1], flush=True)
                print(f"  (peak RSS before the check: new {new['base_mb']:.0f} MB, old {old['base_mb']:.0f} MB; "
                      f"ru_maxrss, inherited from this process: {new['ru_maxrss_mb']:.0f} MB)")
            print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
            print("\n".join(rows))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_root)], check=False)


if __name__ == "__main__":
    if CHILD:
        child(*sys.argv[3:7])
    elif "--scale" in sys.argv:
        scale()
    else:
        main()
        scale()
