"""Tests for geo.store: identical round trips, versions, restore, crash safety and concurrent writers."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, box

from geo import catalog, settings
from geo._errors import DataError
from geo.demo import load_demo
from geo.store import COLUMN_LABELS, Workspace
from geo.store import workspace as store
from geo.store.payload import OFFER_COLUMNS

REPO_DIR = Path(__file__).resolve().parent.parent
CRS = "EPSG:25832"


# ---------------------------------------------------------------- fixtures


def _districts() -> gpd.GeoDataFrame:
    """Three unit squares with string ids that must keep their leading zero."""
    return gpd.GeoDataFrame(
        {
            "district_id": pd.array(["0101", "0102", "0201"], dtype="str"),
            "district_name": pd.array(["Altstadt", "Schloßpark", "Ölmühle"], dtype="str"),
            "area_id": pd.array(["01", "01", "02"], dtype="str"),
            "area_name": pd.array(["Mitte", "Mitte", "Süd"], dtype="str"),
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2)],
        crs=CRS,
    )


def _offers(capacity: float = 40.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "offer_id": pd.array(["FB-01", "FGZ-01"], dtype="str"),
            "offer_type": pd.array(["familienbuero", "fgz"], dtype="str"),
            "name": pd.array(["Familienbüro Mitte", "FGZ Grundschule Süd"], dtype="str"),
            "address": pd.array(["Hauptstraße 1", None], dtype="str"),
            "capacity": [np.nan, capacity],
        },
        geometry=[Point(0.5, 0.5), Point(1.5, 0.25)],
        crs=CRS,
    )


def _indicators() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_id": pd.array(["0101", "0102", "0201"], dtype="str"),
            "year": [2024, 2024, 2024],
            "inhabitants": [1200, 800, 250],
            "children": [200, 90, 30],
            "sgb2_children_quota": [31.5, np.nan, 12.25],
        }
    )


def _edge_cases() -> gpd.GeoDataFrame:
    """Everything that tends to get lost: NaN, <NA>, categories, time zones, Z, None/empty geometry."""
    index = pd.Index([10, 20, 30], name="fid")
    return gpd.GeoDataFrame(
        {
            "id": pd.array(["0101", None, "ÄÖÜß"], dtype="str"),
            "count": [1, 2, 3],
            "share": [0.1, np.nan, 1e-300],
            "optional": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "kind": pd.Categorical(["fgz", "kita", "fgz"]),
            "since": pd.to_datetime(["2024-01-01 08:00", None, "2024-07-01 12:30"]).tz_localize("Europe/Berlin"),
            "other_geom": gpd.GeoSeries([Point(1, 1)] * 3, index=index),
        },
        geometry=gpd.GeoSeries.from_wkt(
            ["POINT Z (415000.123456789 5728000.987654321 12.5)", None, "POLYGON EMPTY"], index=index
        ),
        crs=CRS,
        index=index,
    )


def _residents(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "block_id": pd.array([f"WB{i:06d}" for i in range(n)], dtype="str"),
            "district_id": pd.array(rng.choice(["0101", "0102", "0201"], n), dtype="str"),
            "inhabitants": rng.integers(0, 400, n),
            "children": rng.integers(0, 80, n),
        },
        geometry=gpd.points_from_xy(rng.uniform(0, 2, n), rng.uniform(0, 2, n)),
        crs=CRS,
    )


def _assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Identical frames: values, dtypes, index, column order, CRS and geometry bytes."""
    assert type(left) is type(right)
    if isinstance(left, gpd.GeoDataFrame):
        assert_geodataframe_equal(
            left, right, check_dtype=True, check_crs=True, check_index_type=True, check_column_type=True
        )
        assert left.geometry.name == right.geometry.name
        assert list(left.geometry.to_wkb()) == list(right.geometry.to_wkb())
    else:
        pd.testing.assert_frame_equal(left, right, check_dtype=True, check_index_type=True)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "arbeitsbereich")


@pytest.fixture(scope="module")
def demo():
    return load_demo()


# ---------------------------------------------------------------- round trips


def _chain_layer(layer: str) -> pd.DataFrame:
    """Small hand-built frames of the Präventionskette's layers (the demo may hold none of them)."""
    square = box(415_000, 5_728_000, 416_000, 5_729_000)
    return {
        "sozialindex": lambda: pd.DataFrame({"school_id": ["100012", "100024"], "sozialindex": [7, 2]}),
        "catchments": lambda: gpd.GeoDataFrame(
            {"catchment_id": ["E1"], "offer_type": ["grundschule"], "offer_id": ["100012"], "name": ["Nord ä"]},
            geometry=[square], crs=settings.METRIC_CRS),
        "clinic_births": lambda: pd.DataFrame(
            {"district_id": ["0101", "0101"], "clinic_id": ["K1", "K2"], "births": [40.0, 12.5]}),
        "scenarios": lambda: pd.DataFrame(
            {"scenario": ["Plan ä", "Plan ä"], "step": [1.0, 2.0], "action": ["close", "add"],
             "offer_id": ["FB-01", "S-1"], "offer_type": ["", "fgz"], "name": ["", "Neu <b>"], "address": ["", ""],
             "capacity": [float("nan"), 20.0], "x": [float("nan"), 415_500.0], "y": [float("nan"), 5_728_500.0],
             "source": ["manual", "suggestion"], "note": ["", ""]}),
    }[layer]()


@pytest.mark.parametrize("layer", store.LAYERS)
def test_demo_layers_read_back_identical(ws: Workspace, demo, layer: str) -> None:
    if layer == "definitions":
        frame = catalog.definitions_table(demo.indicator_definitions)
    elif layer == "offer_types":
        frame = catalog.offer_types_table(demo.offer_types)
    elif layer == "phases":
        frame = catalog.phases_table(demo.phases)
    elif getattr(demo, layer) is None:
        frame = _chain_layer(layer)
    else:
        frame = getattr(demo, layer)
    info = ws.save(layer, frame, filename=f"{layer}.gpkg")
    assert (info.layer, info.version, info.rows) == (layer, 1, len(frame))
    _assert_same(ws.load(layer), frame)
    _assert_same(ws.load(layer, 1), frame)


@pytest.mark.parametrize(
    ("layer", "make"),
    [("districts", _districts), ("offers", _offers), ("indicators", _indicators), ("residents", _edge_cases)],
)
def test_hand_built_layers_read_back_identical(ws: Workspace, layer: str, make) -> None:
    frame = make()
    before = frame.copy()
    ws.save(layer, frame, filename="x.csv")
    loaded = ws.load(layer)
    _assert_same(loaded, frame)
    _assert_same(frame, before)  # the input is not modified
    if layer == "districts":
        assert loaded["district_id"].tolist() == ["0101", "0102", "0201"]


def test_crs_without_epsg_code_and_renamed_geometry_read_back_identical(ws: Workspace) -> None:
    custom = "+proj=tmerc +lat_0=0 +lon_0=9 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    frame = _offers().to_crs(custom).rename_geometry("lage")
    ws.save("offers", frame, filename="x.gpkg")
    loaded = ws.load("offers")
    _assert_same(loaded, frame)
    assert loaded.crs.to_wkt() == frame.crs.to_wkt()


def test_empty_layer_reads_back_identical(ws: Workspace) -> None:
    frame = _offers().iloc[:0]
    assert ws.save("offers", frame, filename="leer.csv").rows == 0
    _assert_same(ws.load("offers"), frame)


def test_object_text_columns_come_back_as_str(ws: Workspace) -> None:
    frame = _offers()
    frame["address"] = pd.Series(["Hauptstraße 1", None], dtype=object)
    ws.save("offers", frame, filename="x.csv")
    loaded = ws.load("offers")
    assert loaded["address"].dtype == "str"
    expected = frame.assign(address=frame["address"].astype("str"))
    _assert_same(loaded, expected)
    assert ws.save("offers", expected, filename="x.csv").version == 1  # same payload, same checksum


# ---------------------------------------------------------------- versions, history, restore


def test_absent_workspace_reads_empty_and_creates_nothing(tmp_path: Path, demo) -> None:
    ws = Workspace(tmp_path / "gibt-es-nicht")
    assert ws.load("offers") is None
    assert ws.active_versions() == {}
    assert ws.history().empty and "active" in ws.history().columns
    assert ws.log().empty
    assert ws.check() == []
    data = ws.dataset()
    assert data.missing_layers == ["districts", "indicators"] and data.residents is None and data.offers.empty
    ws.reset("offers")
    assert not ws.path.exists()


def test_versions_increase_and_history_lists_them(ws: Workspace) -> None:
    infos = [
        ws.save("offers", _offers(capacity), filename=f"angebote_{k}.csv", comment=f"Stand {k}")
        for k, capacity in enumerate([10.0, 20.0, 30.0], start=1)
    ]
    assert [i.version for i in infos] == [1, 2, 3]
    assert infos[0].created_at <= infos[1].created_at <= infos[2].created_at
    assert len({i.sha256 for i in infos}) == 3

    history = ws.history("offers")
    assert history["version"].tolist() == [3, 2, 1]  # newest first
    assert history["active"].tolist() == [True, False, False]
    assert history["filename"].tolist() == ["angebote_3.csv", "angebote_2.csv", "angebote_1.csv"]
    assert history["comment"].tolist() == ["Stand 3", "Stand 2", "Stand 1"]
    assert history["rows"].tolist() == [2, 2, 2]
    assert str(history["created_at"].dtype) == "datetime64[us, UTC]"
    assert history["label"].iloc[0].startswith("Angebote v3 (angebote_3.csv, ")
    assert set(history.columns) <= set(COLUMN_LABELS)

    assert ws.load("offers")["capacity"].tolist()[1] == 30.0
    assert ws.load("offers", 1)["capacity"].tolist()[1] == 10.0


def test_label_shows_local_time() -> None:
    info = store.VersionInfo(
        layer="offers", version=3, created_at=pd.Timestamp("2026-11-21 09:14:59", tz="UTC").to_pydatetime(),
        filename="angebote_2025.csv", rows=2, sha256="0" * 64, size=10,
    )
    assert info.label == "Angebote v3 (angebote_2025.csv, 21.11.2026 10:14)"  # CET = UTC+1 in November


def test_identical_upload_is_not_a_new_version(ws: Workspace) -> None:
    first = ws.save("offers", _offers(), filename="a.csv")
    again = ws.save("offers", _offers(), filename="a_kopie.csv")
    assert again == first
    assert ws.history("offers")["version"].tolist() == [1]
    # … but the same data after another version is a new upload again
    ws.save("offers", _offers(99.0), filename="b.csv")
    assert ws.save("offers", _offers(), filename="a.csv").version == 3


def test_restore_activates_old_version_and_keeps_everything(ws: Workspace) -> None:
    for capacity in (10.0, 20.0, 30.0):
        ws.save("offers", _offers(capacity), filename=f"{capacity}.csv")
    info = ws.restore("offers", 1)
    assert info.version == 1
    assert ws.active_versions()["offers"].version == 1
    _assert_same(ws.load("offers"), _offers(10.0))
    history = ws.history("offers")
    assert history["version"].tolist() == [3, 2, 1]
    assert history["active"].tolist() == [False, False, True]
    assert ws.log("offers")["action"].tolist() == ["save", "save", "save", "restore"]
    # the next upload continues the numbering; nothing was renumbered or deleted
    assert ws.save("offers", _offers(40.0), filename="40.csv").version == 4
    assert ws.history("offers")["version"].tolist() == [4, 3, 2, 1]


def test_restore_or_load_of_unknown_version_is_a_german_error(ws: Workspace) -> None:
    ws.save("offers", _offers(), filename="a.csv")
    with pytest.raises(DataError, match="Version 7 der Ebene „Angebote“ gibt es nicht"):
        ws.restore("offers", 7)
    with pytest.raises(DataError, match="gibt es nicht"):
        ws.load("offers", 7)
    assert ws.active_versions()["offers"].version == 1


def test_layers_are_isolated(ws: Workspace) -> None:
    ws.save("districts", _districts(), filename="sr.gpkg")
    ws.save("offers", _offers(10.0), filename="a1.csv")
    ws.save("offers", _offers(20.0), filename="a2.csv")
    ws.save("indicators", _indicators(), filename="ind.csv")
    assert {k: v.version for k, v in ws.active_versions().items()} == {
        "districts": 1, "offers": 2, "indicators": 1,
    }
    assert list(ws.active_versions()) == ["districts", "offers", "indicators"]  # LAYERS order
    ws.restore("offers", 1)
    ws.reset("indicators")
    _assert_same(ws.load("districts"), _districts())
    assert ws.load("indicators") is None
    assert ws.load("residents") is None
    assert ws.history("districts")["version"].tolist() == [1]
    assert ws.history()["layer"].tolist() == ["districts", "offers", "offers", "indicators"]


def test_checksum_is_stable_and_content_sensitive(tmp_path: Path) -> None:
    payload = store.serialize("offers", _offers())
    assert store.serialize("offers", _offers()) == payload
    first = Workspace(tmp_path / "a").save("offers", _offers(), filename="a.csv")
    second = Workspace(tmp_path / "b").save("offers", _offers(), filename="b.csv")
    assert first.sha256 == second.sha256 == hashlib.sha256(payload).hexdigest()
    assert first.size == len(payload)
    assert Workspace(tmp_path / "c").save("offers", _offers(41.0), filename="c.csv").sha256 != first.sha256


def test_reset_leaves_the_layer_missing_never_filled_from_the_demo(ws: Workspace) -> None:
    ws.save("offers", _offers(), filename="a.csv")
    ws.reset("offers")
    assert ws.active_versions() == {}
    data = ws.dataset()
    assert data.offers.empty and list(data.offers.columns)[:5] == list(OFFER_COLUMNS)
    assert data.versions == {} and data.stored_versions == {}
    assert ws.history("offers")["active"].tolist() == [False]
    assert ws.log("offers")["action"].tolist() == ["save", "reset"]
    ws.restore("offers", 1)
    _assert_same(ws.dataset().offers, _offers())


# ---------------------------------------------------------------- dataset


def test_dataset_uses_active_layers_and_says_so(ws: Workspace) -> None:
    ws.set_meta(name="Castrop-Rauxel", origin="city")
    ws.save("offers", _offers(10.0), filename="angebote_2025.csv")
    ws.save("offers", _offers(20.0), filename="angebote_2026.csv")
    ws.save("indicators", _indicators(), filename="indikatoren.csv")
    data = ws.dataset()
    _assert_same(data.offers, _offers(20.0))
    _assert_same(data.indicators, _indicators())
    assert data.districts.empty and data.residents is None  # nothing of any other city fills the gaps
    assert data.missing_layers == ["districts"]
    assert data.synthetic is False
    assert list(data.versions) == ["offers", "indicators"]
    assert data.versions["offers"].startswith("Angebote v2 (angebote_2026.csv, ")
    assert data.versions["indicators"].startswith("Indikatoren v1 (indikatoren.csv, ")
    assert data.source == "Castrop-Rauxel: eigene Daten (Angebote, Indikatoren)"
    assert data.city == "Castrop-Rauxel" and data.workspace == ws.path.name
    assert data.stored_versions == {"offers": 2, "indicators": 1}


def test_dataset_with_every_layer_replaced(ws: Workspace) -> None:
    for layer, frame in [
        ("districts", _districts()), ("offers", _offers()), ("residents", _residents(5, 1)),
        ("indicators", _indicators()), ("definitions", catalog.definitions_table(load_demo().indicator_definitions)),
        ("offer_types", catalog.offer_types_table(catalog.read_offer_types())),
        ("phases", catalog.phases_table(catalog.read_phases())),
        *[(layer, _chain_layer(layer)) for layer in ("sozialindex", "catchments", "clinic_births", "scenarios")],
    ]:
        ws.save(layer, frame, filename=f"{layer}.csv")
    data = ws.dataset()
    assert data.source == (f"{ws.path.name}: eigene Daten (Sozialräume, Angebote, Wohnorte, Indikatoren, "
                           "Indikator-Definitionen, Angebotsarten, Lebensphasen, Schulsozialindex, Einzugsgebiete, "
                           "Geburten je Klinik)")
    assert list(data.versions) == list(store.LAYERS)
    assert all(" v1 (" in label for label in data.versions.values())
    assert data.synthetic is False and data.missing_layers == []


def test_schema_1_workspace_is_read_and_upgraded_on_the_next_write(ws: Workspace) -> None:
    ws.save("offers", _offers(), filename="a.csv")
    with sqlite3.connect(ws.file) as conn:  # as an older version left it: no meta table, user_version 1
        conn.execute("DROP TABLE meta")
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    assert ws.meta() == {} and ws.name == ws.path.name
    _assert_same(ws.dataset().offers, _offers())
    ws.set_meta(name="Herne")
    assert ws.meta() == {"name": "Herne"}
    with sqlite3.connect(ws.file) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
    _assert_same(ws.load("offers"), _offers())


# ---------------------------------------------------------------- refusals


def test_unknown_layer_and_wrong_types_are_refused(ws: Workspace) -> None:
    with pytest.raises(ValueError, match="Unknown layer"):
        ws.save("kitas", _offers(), filename="x.csv")
    with pytest.raises(ValueError, match="Unknown layer"):
        ws.load("kitas")
    with pytest.raises(TypeError, match="GeoDataFrame"):
        ws.save("offers", pd.DataFrame(_offers().drop(columns="geometry")), filename="x.csv")
    with pytest.raises(TypeError, match="plain pandas DataFrame"):
        ws.save("indicators", _offers(), filename="x.csv")
    assert not ws.file.exists()


def test_mixed_column_is_a_german_error(ws: Workspace) -> None:
    frame = _offers()
    frame["address"] = pd.Series(["Hauptstraße 1", 17], dtype=object)
    with pytest.raises(DataError, match="gemischte Werte.*address"):
        ws.save("offers", frame, filename="x.csv")


def test_workspace_in_demo_folder_is_refused() -> None:
    with pytest.raises(DataError, match="nicht im Ordner der Demodaten"):
        Workspace(settings.DEMO_DIR)
    with pytest.raises(DataError, match="nicht im Ordner der Demodaten"):
        Workspace(settings.DEMO_DIR / "unterordner")


def _foreign_garbage(file: Path) -> None:
    file.write_bytes(b"Das ist keine Datenbank, sondern ein Einkaufszettel.\n" * 100)


def _foreign_geopackage(file: Path) -> None:
    shutil.copyfile(settings.DEMO_DIR / "musterstadt.gpkg", file)


def _foreign_plain_sqlite(file: Path) -> None:
    with sqlite3.connect(file) as conn:
        conn.execute("CREATE TABLE kunden (name TEXT)")
    conn.close()


def _truncated_workspace(file: Path) -> None:
    Workspace(file.parent).save("residents", _residents(20_000, 3), filename="a.csv")
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize(
    "spoil", [_foreign_garbage, _foreign_geopackage, _foreign_plain_sqlite, _truncated_workspace]
)
def test_foreign_or_corrupt_file_is_reported_and_never_overwritten(tmp_path: Path, spoil) -> None:
    ws = Workspace(tmp_path)
    spoil(ws.file)
    before = ws.file.read_bytes()
    for action in (
        ws.history,
        ws.active_versions,
        lambda: ws.load("residents"),
        lambda: ws.save("offers", _offers(), filename="a.csv"),
        lambda: ws.reset("offers"),
    ):
        with pytest.raises(DataError, match="kein Arbeitsbereich des Präventionsatlas oder ist beschädigt"):
            action()
    assert ws.file.read_bytes() == before


def test_newer_schema_is_refused(ws: Workspace) -> None:
    ws.save("offers", _offers(), filename="a.csv")
    conn = sqlite3.connect(ws.file)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(DataError, match="neueren Version"):
        ws.load("offers")


def test_damaged_payload_is_detected_by_checksum(ws: Workspace) -> None:
    ws.save("offers", _offers(10.0), filename="a.csv")
    ws.save("offers", _offers(20.0), filename="b.csv")
    conn = sqlite3.connect(ws.file)
    (data,) = conn.execute("SELECT data FROM payload WHERE version = 2").fetchone()
    flipped = bytes([data[100] ^ 0xFF])
    conn.execute("UPDATE payload SET data = ? WHERE version = 2", (data[:100] + flipped + data[101:],))
    conn.commit()
    conn.close()
    with pytest.raises(DataError, match="Angebote v2 .* ist beschädigt"):
        ws.load("offers")
    assert len(ws.check()) == 1 and "Prüfsumme" in ws.check()[0]
    ws.restore("offers", 1)  # the way out the message suggests
    _assert_same(ws.load("offers"), _offers(10.0))


# ---------------------------------------------------------------- crash and concurrency

# A writer in its own process. It announces when its write transaction starts (<name>.begin) and, with
# stall=1, stops after three payload parts are inserted, uncommitted (<name>.inside), until the parent
# creates <name>.go or kills it. With wait=1 it only starts saving once <name>.start exists.
CHILD = r"""
import sys, time
from pathlib import Path
import geopandas as gpd, numpy as np, pandas as pd
from geo.store import workspace as store

workspace, flags, name, seed, rows, timeout, stall, wait, part_bytes = sys.argv[1:10]
flags = Path(flags)

class Writer(store.Workspace):
    part_bytes = int(part_bytes)

    def _begin(self, conn):
        (flags / f"{name}.begin").touch()
        super()._begin(conn)

    def _write_part(self, conn, layer, version, part, data):
        super()._write_part(conn, layer, version, part, data)
        if stall == "1" and part == 2:
            (flags / f"{name}.inside").touch()
            while not (flags / f"{name}.go").exists():
                time.sleep(0.01)

rng = np.random.default_rng(int(seed))
n = int(rows)
frame = gpd.GeoDataFrame(
    {"block_id": pd.array([f"B{i:06d}" for i in range(n)], dtype="str"), "inhabitants": rng.integers(0, 500, n)},
    geometry=gpd.points_from_xy(rng.uniform(4e5, 4.3e5, n), rng.uniform(5.7e6, 5.75e6, n)),
    crs="EPSG:25832",
)
while wait == "1" and not (flags / f"{name}.start").exists():
    time.sleep(0.01)
try:
    info = Writer(workspace, busy_timeout=float(timeout)).save("residents", frame, filename=f"{name}.csv")
except store.DataError as err:
    print("DATAERROR " + str(err))
    sys.exit(3)
print(f"VERSION {info.version}")
"""
BIG_ROWS = 300_000  # ~4.7 MiB of payload in 1 MiB parts: more than SQLite's default 2 MB page cache
ROWS = 20_000  # ~0.3 MiB; in 64 KiB parts for the concurrency tests


def _start_writer(
    ws: Workspace, flags: Path, name: str, *, seed: int, rows: int = ROWS, part_bytes: int = 64 * 1024,
    timeout: float = 10.0, stall: bool = False, wait: bool = False,
) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_DIR), os.environ.get("PYTHONPATH", "")])}
    args = [ws.path, flags, name, seed, rows, timeout, int(stall), int(wait), part_bytes]
    args = [str(a) for a in args]
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], cwd=REPO_DIR, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(flag: Path, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"writer ended before {flag.name}: rc={proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {flag.name}")
        time.sleep(0.01)


def _finish(proc: subprocess.Popen, *, kill: bool = False) -> tuple[int, str, str]:
    """Wait for a writer (killing it first if asked or if a failed assertion left it stalled)."""
    if kill and proc.poll() is None:
        proc.kill()
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


def _integrity(ws: Workspace) -> list[str]:
    conn = sqlite3.connect(ws.file)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_killed_writer_leaves_previous_version_intact(ws: Workspace, tmp_path: Path, demo) -> None:
    ws.save("residents", demo.residents, filename="wohnbloecke_2024.gpkg")
    wal = Path(f"{ws.file}-wal")
    assert not wal.exists()  # closing the last connection checkpointed it
    flags = tmp_path / "flags"
    flags.mkdir()
    with _start_writer(ws, flags, "crash", seed=1, rows=BIG_ROWS, part_bytes=1 << 20, stall=True) as proc:
        try:
            _wait_for(flags / "crash.inside", proc)
            # Part of the unfinished version really is on disk (SQLite spilled it into the WAL).
            assert wal.stat().st_size > 512 * 1024
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            rc, _, err = _finish(proc, kill=True)
    assert rc == -signal.SIGKILL, err

    assert _integrity(ws) == ["ok"]
    assert ws.check() == []
    assert ws.history("residents")["version"].tolist() == [1]
    assert ws.active_versions()["residents"].filename == "wohnbloecke_2024.gpkg"
    _assert_same(ws.load("residents"), demo.residents)
    # the store keeps working, and the interrupted number is simply used again
    assert ws.save("residents", _residents(50, 2), filename="neu.csv").version == 2
    _assert_same(ws.load("residents", 1), demo.residents)
    assert ws.check() == []


def test_two_processes_saving_at_once_both_succeed_in_turn(ws: Workspace, tmp_path: Path) -> None:
    ws.save("residents", _residents(10, 0), filename="start.csv")
    flags = tmp_path / "flags"
    flags.mkdir()
    with (
        _start_writer(ws, flags, "a", seed=1, stall=True) as a,
        _start_writer(ws, flags, "b", seed=2, wait=True) as b,
    ):
        try:
            _wait_for(flags / "a.inside", a)  # a holds the write lock, half-way through its payload
            (flags / "b.start").touch()
            _wait_for(flags / "b.begin", b)  # b now waits for the lock
            time.sleep(0.2)
            assert b.poll() is None
            (flags / "a.go").touch()
        finally:
            (flags / "a.go").touch()
            rc_a, out_a, err_a = _finish(a)
            rc_b, out_b, err_b = _finish(b)
    assert (rc_a, out_a.strip()) == (0, "VERSION 2"), err_a
    assert (rc_b, out_b.strip()) == (0, "VERSION 3"), err_b
    history = ws.history("residents")
    assert history["version"].tolist() == [3, 2, 1]
    assert history["filename"].tolist() == ["b.csv", "a.csv", "start.csv"]
    assert history["rows"].tolist() == [ROWS, ROWS, 10]
    assert ws.active_versions()["residents"].version == 3
    assert ws.check() == []


def test_writer_that_waits_too_long_gets_a_german_message(ws: Workspace, tmp_path: Path) -> None:
    ws.save("residents", _residents(10, 0), filename="start.csv")
    flags = tmp_path / "flags"
    flags.mkdir()
    with (
        _start_writer(ws, flags, "a", seed=1, stall=True) as a,
        _start_writer(ws, flags, "b", seed=2, rows=100, timeout=0.3, wait=True) as b,
    ):
        try:
            _wait_for(flags / "a.inside", a)
            (flags / "b.start").touch()
            rc_b, out_b, err_b = _finish(b)  # gives up while a still holds the lock
            (flags / "a.go").touch()
        finally:
            (flags / "a.go").touch()
            rc_a, out_a, err_a = _finish(a)
    assert rc_b == 3, err_b
    assert "anderen Speichervorgang belegt" in out_b and "erneut versuchen" in out_b
    assert (rc_a, out_a.strip()) == (0, "VERSION 2"), err_a
    assert ws.history("residents")["filename"].tolist() == ["a.csv", "start.csv"]
    assert ws.check() == []


def test_threads_saving_into_a_fresh_workspace_get_distinct_versions(ws: Workspace) -> None:
    errors: list[BaseException] = []
    versions: list[int] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        try:
            for j in range(3):
                info = Workspace(ws.path).save("offers", _offers(float(10 * k + j)), filename=f"{k}-{j}.csv")
                with lock:
                    versions.append(info.version)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(versions) == list(range(1, 13))
    assert ws.history("offers")["version"].tolist() == list(range(12, 0, -1))
    assert ws.check() == []


# ---------------------------------------------------------------- lost updates: changes planned on an old state

def test_save_planned_on_an_old_state_is_refused_and_writes_nothing(ws: Workspace) -> None:
    ws.save("offers", _offers(1.0), filename="erste.csv")
    ws.save("offers", _offers(2.0), filename="zweite.csv")
    before = (ws.history(), ws.log())
    with pytest.raises(store.VersionConflict) as caught:
        ws.save("offers", _offers(3.0), filename="dritte.csv", base_versions={"offers": 1})
    assert str(caught.value) == (
        "Die Daten wurden inzwischen geändert (Angebote: Version 2 statt 1). Es wurde nichts gespeichert. "
        "Bitte prüfen Sie den neuen Stand und bestätigen Sie dann erneut."
    )
    assert isinstance(caught.value, DataError)  # pages show it like every other data problem
    pd.testing.assert_frame_equal(ws.history(), before[0])
    pd.testing.assert_frame_equal(ws.log(), before[1])
    # planned on the state that is active: stored
    assert ws.save("offers", _offers(3.0), filename="dritte.csv", base_versions={"offers": 2}).version == 3


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ({"offers": None}, "Angebote: Version 1 statt keine Daten"),  # planned on no offers, someone saved since
        ({"offers": 1, "districts": 1}, "Sozialräume: keine Daten statt Version 1"),  # another layer it was based on
    ],
    ids=["from-base", "other-layer"],
)
def test_every_layer_a_change_was_based_on_is_compared(ws: Workspace, base, message) -> None:
    ws.save("offers", _offers(1.0), filename="erste.csv")
    with pytest.raises(store.VersionConflict, match=re.escape(f"inzwischen geändert ({message})")):
        ws.save("offers", _offers(2.0), filename="zweite.csv", base_versions=base)
    assert ws.history("offers")["version"].tolist() == [1]


def test_restore_and_reset_planned_on_an_old_state_are_refused(ws: Workspace) -> None:
    ws.save("offers", _offers(1.0), filename="erste.csv")
    ws.save("offers", _offers(2.0), filename="zweite.csv")
    seen = {"offers": 2}
    ws.save("offers", _offers(3.0), filename="dritte.csv")  # another session, after the page was drawn
    log = ws.log()
    with pytest.raises(store.VersionConflict, match=r"\(Angebote: Version 3 statt 2\)\. Es wurde nichts geändert"):
        ws.restore("offers", 1, base_versions=seen)
    with pytest.raises(store.VersionConflict, match=r"\(Angebote: Version 3 statt 2\)"):
        ws.reset("offers", base_versions=seen)
    assert ws.active_versions()["offers"].version == 3
    pd.testing.assert_frame_equal(ws.log(), log)
    assert ws.restore("offers", 1, base_versions={"offers": 3}).version == 1
    ws.reset("offers", base_versions={"offers": 1})
    assert ws.active_versions() == {}


def test_dataset_records_the_stored_versions_it_was_read_from(ws: Workspace, demo) -> None:
    assert ws.dataset().stored_versions == {}
    ws.save("offers", demo.offers.head(3), filename="a.csv")
    ws.save("offers", demo.offers.head(4), filename="b.csv")
    ws.save("districts", demo.districts, filename="s.gpkg")
    assert ws.dataset().stored_versions == {"districts": 1, "offers": 2}


# Two sessions in two processes: each checks an offer upload against the state it reads, says so
# (<name>.checked), waits for <flags>/go, then confirms. Prints VERSION n or DATAERROR <message>.
UPLOAD_CHILD = r"""
import sys, time
from pathlib import Path
from geo.ingest import check as ingest
from geo.store import workspace as store

workspace, flags, name, upload = sys.argv[1:5]
flags = Path(flags)
ws = store.Workspace(workspace)
check = ingest.check_upload(Path(upload).read_bytes(), f"{name}.csv", kind="offers", context=ws.dataset(),
                            options={"mode": "replace"})
assert check.ok, [str(p) for p in check.report.problems]
(flags / f"{name}.checked").touch()
while not (flags / "go").exists():
    time.sleep(0.005)
try:
    info = ingest.commit_upload(ws, check, filename=f"{name}.csv")
except store.DataError as err:
    print("DATAERROR " + str(err))
    sys.exit(3)
print(f"VERSION {info.version}")
"""
#: In a practice copy of the demo (offers v1 = the demo's): session A replaces the Familienzentrum list (the demo
#: has none), session B the FGZ list (the demo has 20).
UPLOADS = {
    "a": "Nr;Angebotsart;Name;Breite;Länge\r\nFZ-1;Familienzentrum;FZ Sonnenhügel;51,7195;7,7731\r\n"
         "FZ-2;Familienzentrum;FZ Ölmühle;51,6905;7,7412\r\n",
    "b": "Nr;Angebotsart;Name;Breite;Länge\r\nG-1;FGZ;FGZ Neue Schule;51,7195;7,7731\r\n",
}
#: What each upload leaves of its type, and what it would be without it (the demo).
MINE = {"a": ("familienzentrum", 2), "b": ("fgz", 1)}
DEMO = {"a": ("familienzentrum", 0), "b": ("fgz", 20)}


def _type_count(frame: pd.DataFrame, offer_type: str) -> int:
    return int((frame[settings.OFFER_TYPE] == offer_type).sum())


def test_two_sessions_confirming_uploads_checked_against_the_same_state_lose_nothing(tmp_path: Path) -> None:
    from geo.ingest import check_upload, commit_upload
    from geo.store import create_workspace

    ws = create_workspace("Übung", root=tmp_path / "daten", demo_copy=True)

    flags = tmp_path / "flags"
    flags.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_DIR), os.environ.get("PYTHONPATH", "")])}
    files = {}
    for name, text in UPLOADS.items():
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_bytes(text.encode("cp1252"))
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", UPLOAD_CHILD, str(ws.path), str(flags), name, str(files[name])],
            cwd=REPO_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in UPLOADS
    }
    try:
        for name, proc in procs.items():
            _wait_for(flags / f"{name}.checked", proc, timeout=60)  # both checked against the demo offers
        (flags / "go").touch()  # both confirm at once
    finally:
        (flags / "go").touch()
        results = {name: _finish(proc) for name, proc in procs.items()}
    outcomes = {name: (rc, out.strip()) for name, (rc, out, _) in results.items()}
    winners = [name for name, (rc, _) in outcomes.items() if rc == 0]
    assert len(winners) == 1, (outcomes, {n: r[2][-2000:] for n, r in results.items()})
    winner, loser = winners[0], ({"a", "b"} - set(winners)).pop()
    assert outcomes[winner] == (0, "VERSION 2")
    rc, out = outcomes[loser]
    assert rc == 3, results[loser][2]
    assert out == (
        "DATAERROR Die Daten wurden inzwischen geändert (Angebote: Version 2 statt 1). Es wurde nichts "
        "gespeichert. Bitte prüfen Sie die Datei erneut gegen den neuen Stand (Vorschau und Änderungen oben) und "
        "bestätigen Sie dann noch einmal."
    )
    # The winner's list is stored; the refused session changed nothing.
    assert ws.history("offers")["filename"].tolist() == [f"{winner}.csv", "Demo Musterstadt (Kopie)"]
    stored = ws.load("offers")
    assert _type_count(stored, MINE[winner][0]) == MINE[winner][1]
    assert _type_count(stored, DEMO[loser][0]) == DEMO[loser][1]

    # The refused session checks its file again, against the new state, and confirms: both lists are in.
    check = check_upload(files[loser].read_bytes(), f"{loser}.csv", kind="offers", context=ws.dataset(),
                         options={"mode": "replace"})
    assert check.base_versions == {"offers": 2, "districts": 1, "offer_types": None}
    assert commit_upload(ws, check, filename=f"{loser}.csv").version == 3
    stored = ws.load("offers")
    for offer_type, count in MINE.values():
        assert _type_count(stored, offer_type) == count
    assert len(stored) == len(load_demo().offers) - 20 + 1 + 2
    assert ws.check() == []


def test_workspace_offer_types_and_phases_are_its_own(ws: Workspace) -> None:
    """Edited offer types and phases, once stored, replace the built-in tables in the workspace's data set."""
    assert ws.dataset().offer_types.equals(catalog.read_offer_types())
    types = catalog.read_offer_types()
    types.loc["fgz", "target"] = "6-11"
    phases = catalog.read_phases().drop(index="uebergang")
    ws.save("offer_types", catalog.offer_types_table(types), filename="Angebotsarten")
    ws.save("phases", catalog.phases_table(phases), filename="Lebensphasen")
    dataset = ws.dataset()
    assert dataset.offer_types.at["fgz", "target"] == "6-11"
    assert dataset.offer_types.equals(types)
    assert list(dataset.phases.index) == ["geburt", "fruehe_kindheit", "kita", "grundschule", "jugend"]
    assert dataset.sozialindex is None and dataset.catchments is None and dataset.clinic_births is None
