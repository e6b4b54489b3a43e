"""A city's own indicators: proposed on upload, stored as versioned definitions, used with the city's labels."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo import DataError, VersionConflict, catalog, export, settings
from geo.analysis import Params, analyse, column
from geo.dataset import Dataset
from geo.ingest import check_upload, commit_definitions, commit_upload, edit_definitions, parse_indicator_options
from geo.ingest.definitions import guess_unit, indicator_key, label_from_header, parse_indicator_option
from geo.render.tables import protected_district_table
from geo.store import Workspace

REPO_DIR = Path(__file__).resolve().parent.parent
MIGRATION, TRANSFER = "Anteil Migrationshintergrund (%)", "Transferbezug (%)"
#: A city table as Excel writes it: semicolons, decimal commas, cp1252, ids without their leading zero.
CITY_2024 = (
    f"Sozialraum;Jahr;Einwohner;Kinder;{MIGRATION};{TRANSFER};Bemerkung\n"
    "1;2024;1.000;100;20,5;8;Altbau\n"
    "2;2024;2.000;250;45,0;22;Großsiedlung\n"
    "3;2024;1.500;80;30;12;Rand\n"
).encode("cp1252")


@pytest.fixture
def city(small_dataset) -> Dataset:
    """Three squares and two FGZ, no indicators and no definitions yet: a city before its first table."""
    return small_dataset.with_layers(indicator_definitions=catalog.empty_indicator_definitions(),
                                     indicators=small_dataset.indicators.iloc[0:0])


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "arbeitsbereich")


def stored(ws: Workspace, city: Dataset) -> Dataset:
    """``city`` with the layers the workspace holds (here: indicators and their definitions) as stored."""
    data = ws.dataset()
    layers = {"indicators": data.indicators, "indicator_definitions": data.indicator_definitions}
    return city.with_layers(**layers, stored_versions=data.stored_versions, versions=data.versions)


def messages(check) -> list[str]:
    return [p.message for p in check.report.problems]


# ---------------------------------------------------------------------------------------------- the proposal


@pytest.mark.parametrize(("header", "unit", "label"), [
    ("Anteil Migrationshintergrund (%)", "%", "Anteil Migrationshintergrund"),
    ("Transferbezug [%]", "%", "Transferbezug"),
    ("Arbeitslosenquote", "%", "Arbeitslosenquote"),
    ("Hilfen zur Erziehung je 1000 Minderjährige", "je 1.000", "Hilfen zur Erziehung je 1000 Minderjährige"),
    ("HzE (je 1.000)", "je 1.000", "HzE"),
    ("Wohndauer in Jahren", "", "Wohndauer in Jahren"),
    ("(%)", "%", "(%)"),
])
def test_unit_and_label_from_the_header(header, unit, label):
    assert guess_unit(header) == unit
    assert label_from_header(header) == label


def test_keys_are_safe_and_unique():
    assert indicator_key("Anteil Migrationshintergrund", []) == "anteil_migrationshintergrund"
    assert indicator_key("Übergänge Größe", []) == "uebergaenge_groesse"
    assert indicator_key("<script>alert(1)</script>", []) == "script_alert_1_script"
    assert indicator_key("{{ 7*191 }}", ["7_191"]) == "7_191_2"
    assert indicator_key("$$", []) == "indikator"
    assert indicator_key("Status Index", []) == "ind_status_index"  # not a result column's name


@pytest.mark.parametrize(("text", "column", "direction"), [
    ("Transferbezug (%):+", "Transferbezug (%)", 1),
    ("Wohndauer:-", "Wohndauer", -1),
    ("Quote: Kinder : +", "Quote: Kinder", 1),  # the last ':' separates
])
def test_command_line_indicator_form(text, column, direction):
    assert parse_indicator_option(text) == (column, {"indicator": True, "direction": direction, "kind": "status",
                                                    "in_index": True, "weight": 1.0, "in_dynamic": True,
                                                    "dynamic_weight": 1.0})


@pytest.mark.parametrize("text", ["Transferbezug", "Transferbezug:", ":+", "Transferbezug:x", "Quote:++"])
def test_command_line_indicator_form_refuses_other_text(text):
    with pytest.raises(DataError, match="keine gültige Indikator-Angabe"):
        parse_indicator_option(text)
    with pytest.raises(DataError, match="mehrfach"):
        parse_indicator_options(["A:+", "A:-"])


def test_city_columns_are_proposed_as_new_indicators_outside_the_index(city):
    check = check_upload(CITY_2024, "stadt.csv", kind="indicators", context=city)
    assert check.ok, messages(check)
    proposal = check.indicator_columns
    assert proposal[["column", "key", "indicator", "label", "unit", "in_index", "origin"]].values.tolist() == [
        [MIGRATION, "anteil_migrationshintergrund", True, "Anteil Migrationshintergrund", "%", False, "new"],
        [TRANSFER, "transferbezug", True, "Transferbezug", "%", False, "new"],
    ]  # "Bemerkung" is text: not proposed
    assert list(check.definitions.index) == ["anteil_migrationshintergrund", "transferbezug"]
    assert check.layer["transferbezug"].tolist() == [8.0, 22.0, 12.0]
    assert check.info["Indikatoren"] == "Anteil Migrationshintergrund, Transferbezug"


def test_nrw_names_are_suggested_by_their_usual_column_names(city):
    data = (b"Sozialraum;Jahr;Einwohner;Kinder;SGB-II-Quote;Alleinerziehende;Arbeitslose\n"
            b"01;2024;1000;100;10;15;4\n02;2024;2000;250;40;35;14\n03;2024;1500;80;16;19;6\n")
    check = check_upload(data, "nrw.csv", kind="indicators", context=city)
    assert check.ok, messages(check)
    assert dict(zip(check.indicator_columns["column"], check.indicator_columns["key"], strict=True)) == {
        "SGB-II-Quote": "sgb2_children_quota", "Alleinerziehende": "single_parent_share",
        "Arbeitslose": "unemployment_rate"}
    assert set(check.indicator_columns["origin"]) == {"suggested"}
    assert check.definitions.loc["sgb2_children_quota", "label"] == "SGB-II-Quote Kinder unter 15 Jahren"
    assert bool(check.definitions["in_index"].all())  # the suggestion brings its index weight
    assert "Spalten nach ähnlichem Namen zugeordnet" in messages(check)[0]


def test_choices_override_the_proposal_and_wrong_choices_name_the_column(city):
    choices = {MIGRATION: {"label": "Migration", "in_index": True, "weight": 2}, TRANSFER: False,
               "Wohndauer": True}
    check = check_upload(CITY_2024, "stadt.csv", kind="indicators", context=city, options={"indicators": choices})
    assert not check.ok
    assert "Die als Indikator gewählte Spalte „Wohndauer“ gibt es in der Datei nicht" in messages(check)[0]
    del choices["Wohndauer"]
    check = check_upload(CITY_2024, "stadt.csv", kind="indicators", context=city, options={"indicators": choices})
    assert check.ok, messages(check)
    assert check.definitions[["label", "in_index", "weight"]].values.tolist() == [["Migration", True, 2.0]]
    assert "transferbezug" not in check.layer.columns
    bad = {MIGRATION: {"unit": "Liter", "direction": 0, "weight": -1, "label": " "}}
    check = check_upload(CITY_2024, "stadt.csv", kind="indicators", context=city, options={"indicators": bad})
    assert sorted((p.column, p.message.split(": ", 1)[1][:20]) for p in check.report.errors) == [
        (MIGRATION, "Bitte geben Sie eine"), (MIGRATION, "Das Gewicht „-1“ mus"),
        (MIGRATION, "Die Einheit „Liter“ "), (MIGRATION, "Die Richtung muss +1"),
    ]
    assert check.indicator_columns is not None  # the page still shows the table to correct


# ------------------------------------------------------------------------------- stored, reloaded, shown, exported


def _commit(ws: Workspace, city: Dataset, data: bytes, name: str, **options) -> Dataset:
    check = check_upload(data, name, kind="indicators", context=city, options=options)
    assert check.ok, messages(check)
    commit_upload(ws, check, filename=name)
    return stored(ws, city)


def test_city_indicators_are_stored_reloaded_and_exported_with_the_city_labels(ws, city, tmp_path):
    choices = parse_indicator_options([f"{MIGRATION}:+", f"{TRANSFER}:+"])
    data = _commit(ws, city, CITY_2024, "stadt.csv", indicators=choices)
    assert {k: v.version for k, v in ws.active_versions().items()} == {"indicators": 1, "definitions": 1}
    assert data.indicator_definitions[["label", "unit", "direction", "in_index"]].values.tolist() == [
        ["Anteil Migrationshintergrund", "%", 1, True], ["Transferbezug", "%", 1, True]]

    result = analyse(data)
    # Hand computation: z(migration) = (-1.1237, 1.3055, -0.1818), z(transfer) = (-1.0190, 1.3587, -0.3397);
    # sums (-2.1427, 2.6642, -0.5215) standardised again with their population standard deviation 1.9968.
    index = result.districts.set_index(settings.DISTRICT_ID)["status_index"]
    assert index.round(3).tolist() == [-1.073, 1.334, -0.261]
    assert result.districts["status_class"].tolist() == ["Status hoch", "Status niedrig", "Status mittel"]
    assert result.weights == {"anteil_migrationshintergrund": 1.0, "transferbezug": 1.0}

    table = protected_district_table(result, offer_types=data.offer_types,
                                     indicator_definitions=data.indicator_definitions)
    assert table[MIGRATION].tolist() == [20.5, 45.0, 30.0]
    assert table[TRANSFER].tolist() == [8.0, 22.0, 12.0]
    csv = export.csv_bytes(data, result).decode("utf-8-sig")
    header = csv.splitlines()[0].split(";")
    assert MIGRATION in header and TRANSFER in header and "SGB-II-Quote Kinder unter 15 Jahren (%)" not in header
    assert "20,5" in csv.splitlines()[1].split(";")
    book = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes(data, result)))
    headers = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    assert MIGRATION in headers and TRANSFER in headers


def test_a_year_lacking_an_indicator_has_no_values_for_it(ws, city):
    choices = parse_indicator_options([f"{MIGRATION}:+", f"{TRANSFER}:+"])
    data = _commit(ws, city, CITY_2024, "stadt.csv", indicators=choices)
    later = (f"Sozialraum;Jahr;Einwohner;Kinder;{MIGRATION}\n"
             "01;2025;1000;100;21\n02;2025;2000;250;44\n03;2025;1500;80;31\n")
    check = check_upload(later.encode(), "stadt_2025.csv", kind="indicators", context=data)
    assert check.ok, messages(check)
    assert "Die Datei enthält keine Werte für 1 gespeicherte(n) Indikator(en): „Transferbezug“." in messages(check)[0]
    data = _commit(ws, data, later.encode(), "stadt_2025.csv")
    assert data.years == [2024, 2025]
    rows = data.indicators.set_index([settings.YEAR, settings.DISTRICT_ID])["transferbezug"]
    assert rows.loc[2024].tolist() == [8.0, 22.0, 12.0] and rows.loc[2025].isna().all()
    assert ws.active_versions()["definitions"].version == 1  # the same definitions: no new version

    result = analyse(data)  # 2025: the index from the indicator that has values, and a note naming the other
    assert result.weights == {"anteil_migrationshintergrund": 1.0}
    assert "nicht im Statusindex: Transferbezug" in result.need_note
    assert result.districts["status_class"].tolist() == ["Status hoch", "Status niedrig", "Status mittel"]


def test_without_inhabitants_or_index_indicators_reach_is_still_computed(ws, city):
    data = f"Sozialraum;Jahr;Kinder;{MIGRATION}\n01;2024;100;20\n02;2024;250;45\n03;2024;80;30\n".encode()
    check = check_upload(data, "ohne_ew.csv", kind="indicators", context=city)
    assert check.ok
    assert any("keine Spalte für die Einwohnerinnen und Einwohner" in m and "Statusklasse" in m
               for m in messages(check))
    assert check.layer[settings.INHABITANTS].isna().all()
    stored = _commit(ws, city, data, "ohne_ew.csv")
    result = analyse(stored)  # the new column is not in the index yet
    assert "kein Indikator mit Werten gewählt" in result.need_note
    assert result.districts["status_class"].tolist() == ["nicht klassifiziert"] * 3
    assert result.districts[column("share_in_reach", "fgz")].notna().all()
    assert result.key_figures[column("gap_districts", "fgz")] == 0

    result = analyse(stored, Params(weights={"anteil_migrationshintergrund": 1.0}))
    assert "Zu wenige Sozialräume mit mindestens 300 Einwohnern" in result.need_note
    assert result.districts["status_class"].tolist() == ["nicht klassifiziert"] * 3


def test_children_column_is_optional_and_stays_empty(city):
    data = f"Sozialraum;Jahr;Einwohner;{TRANSFER}\n01;2024;1000;8\n02;2024;2000;22\n03;2024;1500;12\n".encode()
    check = check_upload(data, "ohne_kinder.csv", kind="indicators", context=city)
    assert check.ok
    assert check.layer[settings.CHILDREN].isna().all()
    assert any("keine Spalte für die Kinder" in m for m in messages(check))


# ------------------------------------------------------------------------------------ definitions, versioned


def test_edited_definitions_are_a_new_version_checked_against_the_version_seen(ws, city):
    data = _commit(ws, city, CITY_2024, "stadt.csv")
    defs = data.indicator_definitions
    edited = defs.assign(label=["Migration", "Transfer"], in_index=[True, False], weight=[1.5, 1.0])
    new, report = edit_definitions(defs, edited.loc[["transferbezug", "anteil_migrationshintergrund"]])
    assert report.ok
    assert list(new.index) == ["anteil_migrationshintergrund", "transferbezug"]  # stored order kept
    info = commit_definitions(ws, new, base_versions={"definitions": 1}, comment="umbenannt")
    assert (info.layer, info.version, info.comment) == ("definitions", 2, "umbenannt")
    reloaded = stored(ws, city)
    assert reloaded.indicator_definitions["label"].tolist() == ["Migration", "Transfer"]
    assert analyse(reloaded).weights == {"anteil_migrationshintergrund": 1.5}
    with pytest.raises(VersionConflict):  # another session saved version 2 meanwhile
        commit_definitions(ws, new.assign(label=["A", "B"]), base_versions={"definitions": 1})
    assert ws.history("definitions")["version"].tolist() == [2, 1]
    ws.restore("definitions", 1)
    assert stored(ws, city).indicator_definitions["label"].tolist() == ["Anteil Migrationshintergrund",
                                                                       "Transferbezug"]
    removed, report = edit_definitions(defs, defs.loc[["transferbezug"]])
    assert report.ok and list(removed.index) == ["transferbezug"]
    bad, report = edit_definitions(defs, defs.assign(unit=["%", "Liter"], label=["", "x"]))
    assert bad is defs
    assert [p.message for p in report.errors] == [
        "Indikator „Anteil Migrationshintergrund“: Bitte geben Sie eine Bezeichnung des Indikators an.",
        "Indikator „Transferbezug“: Die Einheit „Liter“ ist unbekannt; möglich sind „%“, „je 1.000“, „Anzahl“ "
        "oder keine.",
    ]


def test_definitions_round_trip_through_the_store(ws):
    defs = catalog.read_indicator_definitions()
    ws.save("definitions", catalog.definitions_table(defs), filename="x")
    back = catalog.definitions_from_table(ws.load("definitions"))
    pd.testing.assert_frame_equal(back, defs)
    assert catalog.empty_indicator_definitions().dtypes.to_dict() == defs.dtypes.to_dict()


def _indicators(value: float) -> pd.DataFrame:
    return pd.DataFrame({"district_id": ["01", "02"], "year": [2024, 2024], "inhabitants": [500, 600],
                         "children": [50, 60], "quote": [value, 2.0]})


def test_save_many_is_one_transaction(ws, monkeypatch):
    defs = catalog.definitions_table(catalog.read_indicator_definitions())
    saved = ws.save_many({"indicators": _indicators(1.0), "definitions": defs}, filename="a.csv")
    assert {k: v.version for k, v in saved.items()} == {"indicators": 1, "definitions": 1}
    # Unchanged definitions add no version; the changed indicators do.
    saved = ws.save_many({"indicators": _indicators(3.0), "definitions": defs}, filename="b.csv")
    assert {k: v.version for k, v in saved.items()} == {"indicators": 2, "definitions": 1}
    with pytest.raises(VersionConflict):
        ws.save_many({"indicators": _indicators(4.0)}, filename="c.csv", base_versions={"indicators": 1})

    def fail_on_definitions(conn, layer, version, part, data):
        if layer == "definitions":
            raise OSError("disk gone")
        Workspace._write_part(ws, conn, layer, version, part, data)

    monkeypatch.setattr(ws, "_write_part", fail_on_definitions)
    with pytest.raises(OSError):
        ws.save_many({"indicators": _indicators(5.0), "definitions": defs.iloc[:1]}, filename="d.csv")
    assert {k: v.version for k, v in ws.active_versions().items()} == {"indicators": 2, "definitions": 1}
    assert ws.history("indicators")["version"].tolist() == [2, 1]
    assert ws.load("indicators")["quote"].tolist() == [3.0, 2.0]
    assert ws.check() == []


# A writer in its own process stores indicators and definitions together and stops inside the transaction,
# after the indicators are written and in the middle of the definitions, until the parent kills it.
CHILD = r"""
import sys, time
from pathlib import Path
import numpy as np, pandas as pd
from geo import catalog
from geo.store import workspace as store

path, flag = sys.argv[1:3]

class Writer(store.Workspace):
    part_bytes = 4096

    def _write_part(self, conn, layer, version, part, data):
        super()._write_part(conn, layer, version, part, data)
        if layer == "definitions":
            Path(flag).touch()
            time.sleep(600)

n = 20_000
rng = np.random.default_rng(1)
indicators = pd.DataFrame({"district_id": [f"{i:05d}" for i in range(n)], "year": 2025, "inhabitants": 500,
                           "children": 50, "quote": rng.uniform(0, 100, n)})
defs = catalog.read_indicator_definitions()
defs.loc["quote"] = ["Quote", "%", 1, 1.0, True, "", "status", True, 1.0]
Writer(path).save_many({"indicators": indicators, "definitions": catalog.definitions_table(defs)}, filename="k.csv")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_save_many_killed_half_way_stores_nothing(ws, tmp_path):
    defs = catalog.definitions_table(catalog.read_indicator_definitions())
    ws.save_many({"indicators": _indicators(1.0), "definitions": defs}, filename="vorher.csv")
    flag = tmp_path / "inside"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_DIR), os.environ.get("PYTHONPATH", "")])}
    with subprocess.Popen([sys.executable, "-c", CHILD, str(ws.path), str(flag)], cwd=REPO_DIR, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            deadline = time.monotonic() + 60
            while not flag.exists():
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the writer never reached the definitions"
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert ws.check() == []
    assert {k: v.filename for k, v in ws.active_versions().items()} == {"indicators": "vorher.csv",
                                                                         "definitions": "vorher.csv"}
    assert ws.history()["version"].tolist() == [1, 1]
    assert ws.load("indicators")["quote"].tolist() == [1.0, 2.0]
    assert np.array_equal(ws.load("definitions")["key"].to_numpy(), defs["key"].to_numpy())
