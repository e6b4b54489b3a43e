"""What-if scenarios: edits applied by hand-checked rules, a suggestion as edits, storage beside real data, CLI."""

from __future__ import annotations

import hashlib
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import DataError, settings
from geo._errors import VersionConflict
from geo.analysis import Params, analyse
from geo.analysis.compare import compare
from geo.analysis.protect import protected_totals
from geo.analysis.scenarios import (
    add_note,
    add_offer,
    apply_edits,
    close_offer,
    describe_edit,
    edits_from_suggestion,
    edits_of,
    empty_edits,
    move_offer,
    names,
    new_offer_id,
    scenario_dataset,
    scenario_text,
    set_capacity,
)
from geo.analysis.sites import Coverage, Suggestion
from geo.store import Workspace, create_workspace
from geo.store.scenarios import (
    MAX_NAME_LENGTH,
    check_name,
    copy_scenario,
    delete_scenario,
    rename_scenario,
    save_scenario,
    stored_edits,
)
from tests.conftest import SHARED_DATA, xy

HOSTILE = ["<script>alert(1)</script>", "$x$ und $y$", "=cmd|' /C calc'!A0", "{{ 7*191 }}", "Plan „Süd“ 2027 – ä"]


def _points(offers: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    return {i: (round(g.x - xy(0, 0)[0]), round(g.y - xy(0, 0)[1]))
            for i, g in zip(offers[settings.OFFER_ID], offers.geometry, strict=True)}


# --------------------------------------------------------------------------------------------- building edits


def test_edits_in_order_with_generated_ids(two_offers):
    edits = add_offer(None, two_offers, offer_type="fgz", name="FGZ Mitte", x=xy(1500, 500)[0], y=xy(1500, 500)[1],
                      capacity=12)
    edits = add_offer(edits, two_offers, offer_type="familienbuero", name="Büro", x=xy(100, 100)[0],
                      y=xy(100, 100)[1])
    edits = move_offer(edits, two_offers, "F1", x=xy(700, 500)[0], y=xy(700, 500)[1])
    edits = close_offer(edits, two_offers, "F2")
    edits = set_capacity(edits, two_offers, "S-1", 20)
    edits = add_note(edits, "Annahme: Träger gefunden")
    assert list(edits["action"]) == ["add", "add", "move", "close", "capacity", "note"]
    assert list(edits["step"]) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert list(edits[settings.OFFER_ID]) == ["S-1", "S-2", "F1", "F2", "S-1", ""]
    # the edit names the offer it concerns, from the offers or an earlier add
    assert list(edits[settings.OFFER_NAME]) == ["FGZ Mitte", "Büro", "FGZ West", "FGZ Ost", "FGZ Mitte", ""]
    assert describe_edit(edits.iloc[4]) == "Schritt 5 – Kapazität ändern: „FGZ Mitte“ (S-1), fgz, Kapazität 20"


def test_new_ids_are_unique_against_offers_and_edits(two_offers):
    offers = two_offers.assign(**{settings.OFFER_ID: ["S-7", "S-x"]})
    assert new_offer_id(offers) == "S-8"
    edits = add_offer(None, offers, offer_type="fgz", name="a", x=1.0, y=2.0)
    assert new_offer_id(offers, edits) == "S-9"
    assert new_offer_id(None) == "S-1"


# --------------------------------------------------------------------------------------------- applying edits


def test_apply_edits_hand_checked(two_offers):
    x, y = xy(1500, 500)
    edits = add_offer(None, two_offers, offer_type="fgz", name="FGZ Mitte", x=x, y=y, capacity=12)
    edits = move_offer(edits, two_offers, "S-1", x=xy(1600, 500)[0], y=xy(1600, 500)[1])  # move of an added offer
    edits = move_offer(edits, two_offers, "F1", x=xy(100, 100)[0], y=xy(100, 100)[1])
    edits = move_offer(edits, two_offers, "F1", x=xy(200, 300)[0], y=xy(200, 300)[1])  # repeated: the last wins
    edits = set_capacity(edits, two_offers, "F1", 7.5)
    edits = close_offer(edits, two_offers, "F2")
    before = two_offers.copy()
    offers, notes = apply_edits(two_offers, edits)
    assert notes == []
    assert list(offers[settings.OFFER_ID]) == ["F1", "S-1"]
    assert _points(offers) == {"F1": (200, 300), "S-1": (1600, 500)}
    assert offers[settings.OFFER_CAPACITY].tolist() == [7.5, 12.0]
    assert list(offers[settings.OFFER_NAME]) == ["FGZ West", "FGZ Mitte"]
    assert offers.crs == two_offers.crs
    pd.testing.assert_frame_equal(pd.DataFrame(two_offers), pd.DataFrame(before))  # input unchanged


def test_apply_edits_skips_and_names_what_cannot_apply(two_offers):
    edits = close_offer(None, two_offers, "F2")
    edits = set_capacity(edits, two_offers, "F2", 5)  # capacity of a closed offer
    edits = close_offer(edits, two_offers, "F2")  # closed twice
    edits = move_offer(edits, two_offers, "F9", x=1.0, y=2.0)  # removed from the Bestand since
    edits = add_offer(edits, two_offers, offer_type="fgz", name="Doppelt", x=1.0, y=2.0, offer_id="F1")
    edits = add_note(edits, "nur eine Notiz")
    broken = edits.copy()
    broken.loc[len(broken)] = {**broken.iloc[0].to_dict(), "action": "explode", "step": 7.0}
    offers, notes = apply_edits(two_offers, broken)
    assert list(offers[settings.OFFER_ID]) == ["F1"]
    assert _points(offers) == {"F1": (500, 500)}
    assert notes == [
        "Schritt 2 (Kapazität ändern): Angebot „F2“ ist in diesem Szenario bereits geschlossen – übersprungen",
        "Schritt 3 (Angebot schließen): Angebot „F2“ ist in diesem Szenario bereits geschlossen – übersprungen",
        "Schritt 4 (Angebot verlegen): Angebot „F9“ gibt es im Bestand nicht mehr – übersprungen",
        "Schritt 5 (Angebot hinzufügen): die Kennung „F1“ gibt es schon – übersprungen",
        "Schritt 7 (explode): unbekannte Änderung – übersprungen",
    ]


def test_scenario_dataset_marks_the_scenario(small_dataset):
    edits = close_offer(None, small_dataset.offers, "F1").assign(scenario="Ohne West")
    dataset, notes = scenario_dataset(small_dataset.with_layers(scenarios=edits), "Ohne West")
    assert (dataset.scenario, notes, list(dataset.offers[settings.OFFER_ID])) == ("Ohne West", [], ["F2"])
    assert scenario_text("Ohne West") == "Szenario „Ohne West“ – kein Bestand, nur Planungsvariante"
    assert list(small_dataset.offers[settings.OFFER_ID]) == ["F1", "F2"]


# --------------------------------------------------------------------------------------------- a suggestion


def test_edits_from_suggestion(two_offers):
    sites = gpd.GeoDataFrame(
        {"candidate_id": ["G7", "R-02-1"], settings.OFFER_NAME: ["GS Am Park", ""], settings.OFFER_ADDRESS:
         ["Parkweg 3", ""], "source": ["host", "grid"], settings.DISTRICT_ID: ["02", "02"],
         settings.SOZIALINDEX: [7, np.nan], "rank": [2, 1], "gain": [20.0, 35.0]},
        geometry=gpd.points_from_xy([xy(1200, 500)[0], xy(1500, 500)[0]], [Y := xy(0, 500)[1], Y]),
        crs="EPSG:25832",
    ).to_crs("EPSG:4326")  # any CRS: the edits keep metric coordinates
    suggestion = Suggestion(sites=sites, chosen=(4, 1), status="optimal", gap=0.0, before=Coverage(18, 10, 30),
                            after=Coverage(73, 50, 140), method="max_cover")
    edits = edits_from_suggestion(suggestion, "fgz", note="Ziel: 2 neue FGZ.", offers=two_offers,
                                  type_label="FGZ", candidates=12)
    assert list(edits["action"]) == ["add", "add", "note"]
    assert list(edits[settings.OFFER_NAME][:2]) == ["Vorschlag 1: R-02-1", "Vorschlag 2: GS Am Park"]
    assert list(edits[settings.OFFER_ID][:2]) == ["S-1", "S-2"]
    assert list(edits["source"]) == ["suggestion"] * 3
    assert list(edits[settings.OFFER_ADDRESS][:2]) == ["", "Parkweg 3"]
    assert np.allclose(edits["x"][:2], [xy(1500, 0)[0], xy(1200, 0)[0]], atol=0.01)
    note = edits["note"].iloc[2]
    assert note.startswith("Standortvorschlag FGZ: 2 neue Standorte mit der höchsten bedarfsgewichteten Abdeckung; "
                           "bestehende Angebote bleiben gesetzt. Bedarfsgewichte: Status sehr niedrig ×3, Status "
                           "niedrig ×2, übrige Sozialräume ×1. 12 Kandidaten (")
    assert "Löserstatus: optimal gelöst" in note and "Abdeckung vorher 18, nachher 73 (Zugewinn 55)" in note
    assert note.endswith("Ziel: 2 neue FGZ.")
    offers, notes = apply_edits(two_offers, edits)
    assert notes == [] and list(offers[settings.OFFER_ID]) == ["F1", "F2", "S-1", "S-2"]


# --------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_data(name):
    assert check_name(f"  {name} ") == name


@pytest.mark.parametrize(("name", "message"), [
    ("", "Namen"), ("   ", "Namen"), ("x" * (MAX_NAME_LENGTH + 1), "höchstens 80"), ("Plan\nB", "Steuerzeichen"),
    ("bestand", "echten Daten"), ("Plan A", "gibt es schon"),
])
def test_bad_names_are_refused(name, message):
    with pytest.raises(DataError, match=message):
        check_name(name, ["Plan A"])


def test_the_demo_refuses_to_store():
    from geo.store import open_workspace

    demo = open_workspace("demo")
    with pytest.raises(DataError, match="schreibgeschützt"):
        save_scenario(demo, "Plan", empty_edits())


# --------------------------------------------------------------------------------------------- storage


def _digests(workspace: Workspace) -> dict[str, tuple[int, str]]:
    return {layer: (info.version, info.sha256) for layer, info in workspace.active_versions().items()
            if layer != "scenarios"}


def _payload_digests(workspace: Workspace) -> dict[str, str]:
    """sha256 of each active real layer's stored payload, read from the SQLite file itself."""
    with sqlite3.connect(workspace.file) as conn:
        rows = conn.execute("SELECT p.layer, p.data FROM payload p JOIN active a USING (layer, version) "
                            "WHERE p.layer != 'scenarios' ORDER BY p.layer, p.part").fetchall()
    digests: dict[str, hashlib._Hash] = {}
    for layer, data in rows:
        digests.setdefault(layer, hashlib.sha256()).update(data)
    return {layer: h.hexdigest() for layer, h in digests.items()}


def test_rename_copy_delete_with_base_versions(data_root, small_dataset):
    workspace = create_workspace("Teststadt")
    workspace.save_many({"districts": small_dataset.districts, "indicators": small_dataset.indicators,
                         "offers": small_dataset.offers}, filename="test")
    real = _digests(workspace)
    edits = close_offer(None, small_dataset.offers, "F1")
    seen = workspace.dataset().stored_versions
    save_scenario(workspace, "A", edits, base_versions=seen)
    with pytest.raises(VersionConflict, match="Szenarien"):  # previewed before the first save
        save_scenario(workspace, "B", edits, base_versions=seen)
    seen = workspace.dataset().stored_versions
    copy_scenario(workspace, "A", "B", base_versions=seen)
    with pytest.raises(DataError, match="gibt es schon"):
        copy_scenario(workspace, "A", "B")
    with pytest.raises(DataError, match="gibt es schon"):
        rename_scenario(workspace, "A", "B")
    rename_scenario(workspace, "A", HOSTILE[0])
    assert names(stored_edits(workspace)) == [HOSTILE[0], "B"]
    with pytest.raises(VersionConflict):  # a delete confirmed against an older state
        delete_scenario(workspace, "B", base_versions=seen)
    info = delete_scenario(workspace, "B", base_versions=workspace.dataset().stored_versions)
    assert names(stored_edits(workspace)) == [HOSTILE[0]]
    with pytest.raises(DataError, match="nicht"):
        delete_scenario(workspace, "B")
    workspace.restore("scenarios", info.version - 1)  # Verlauf brings the deleted one back
    assert names(stored_edits(workspace)) == [HOSTILE[0], "B"]
    delete_scenario(workspace, HOSTILE[0])
    delete_scenario(workspace, "B")
    assert len(stored_edits(workspace)) == 0
    assert _digests(workspace) == real
    assert workspace.check() == []


# --------------------------------------------------------------------------------------------- real data round trip

SCHOOLS = SHARED_DATA / "nrw-schulen" / "schuldaten_2021.csv"
VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"
GELSENKIRCHEN = "05513000"
#: Three real Gelsenkirchen Grundschulen with an FGZ for the test; the scenario adds one at a fourth.
FGZ_SCHOOLS = ("119076", "119180", "119039")


@pytest.fixture
def real_city(data_root):
    if not (SCHOOLS.is_file() and VG5000.is_file()):
        pytest.skip("../shared/data (NRW school file, VG5000) not present: the real-data round trip needs it")
    from geo.ingest.offers import validate_offers
    from geo.ingest.schools import schools_as_offers
    from geo.io import read_table
    from geo.store.payload import empty_geo

    town = gpd.read_file(VG5000, where=f"AGS = '{GELSENKIRCHEN}'").to_crs(settings.METRIC_CRS).geometry.iloc[0]
    (minx, miny, maxx, maxy), cy = town.bounds, town.centroid.y
    districts = gpd.GeoDataFrame(
        {settings.DISTRICT_ID: ["1", "2"], settings.DISTRICT_NAME: ["Nord", "Süd"],
         settings.AREA_ID: ["1", "1"], settings.AREA_NAME: ["Gelsenkirchen", "Gelsenkirchen"]},
        geometry=[shapely.intersection(town, shapely.box(minx, cy, maxx, maxy)),
                  shapely.intersection(town, shapely.box(minx, miny, maxx, cy))], crs=settings.METRIC_CRS)
    table = schools_as_offers(read_table(SCHOOLS.read_bytes(), SCHOOLS.name), offer_type="grundschule",
                              gemeindeschluessel=GELSENKIRCHEN)
    fgz = table[table[settings.OFFER_ID].isin(FGZ_SCHOOLS)]
    fgz = fgz.assign(**{settings.OFFER_TYPE: "fgz", settings.OFFER_ID: "FGZ-" + fgz[settings.OFFER_ID]})
    workspace = create_workspace("Gelsenkirchen (Test)")
    checked = validate_offers(pd.concat([table, fgz]).reset_index(drop=True),
                              offer_types=workspace.dataset().offer_types, districts=districts)
    assert checked.report.ok, checked.report.errors
    indicators = pd.DataFrame({
        settings.DISTRICT_ID: ["1", "2"], settings.YEAR: [2024, 2024], settings.INHABITANTS: [130_000, 130_000],
        settings.CHILDREN: [22_500, 18_000], "sgb2_children_quota": [38.0, 22.0], "unemployment_rate": [14.0, 9.0],
        "single_parent_share": [30.0, 22.0],
    })
    assert empty_geo is not None
    workspace.save_many({"districts": districts, "indicators": indicators, "offers": checked.offers},
                        filename="schuldaten_2021.csv")
    return workspace


def test_round_trip_on_real_data(real_city):
    workspace = real_city
    dataset = workspace.dataset()
    offers = dataset.offers
    schools = offers[offers[settings.OFFER_TYPE] == "grundschule"]
    north = shapely.contains_xy(dataset.districts.geometry.iloc[0], schools.geometry.x, schools.geometry.y)
    host = schools[north & ~schools[settings.OFFER_ID].isin(FGZ_SCHOOLS)].iloc[0]  # Nord has no FGZ yet
    real = _digests(workspace)
    real_bytes = _payload_digests(workspace)
    assert set(real_bytes) == {"districts", "indicators", "offers"}
    assert all(real_bytes[layer] == real[layer][1] for layer in real_bytes)

    name = HOSTILE[0]
    edits = add_offer(None, offers, offer_type="fgz", name=f"FGZ an {host[settings.OFFER_NAME]}",
                      address=host[settings.OFFER_ADDRESS], x=host.geometry.x, y=host.geometry.y)
    edits = close_offer(edits, offers, "FGZ-119039")
    edits = add_note(edits, "Annahme: Träger ab 2027")
    save_scenario(workspace, name, edits, base_versions=dataset.stored_versions, new=True)
    with pytest.raises(VersionConflict):  # the same preview confirmed twice
        save_scenario(workspace, "Zweiter Plan", edits, base_versions=dataset.stored_versions)

    reloaded = Workspace(workspace.path).dataset()
    assert names(reloaded.scenarios) == [name]
    stored = edits_of(reloaded.scenarios, name)
    assert list(stored["action"]) == ["add", "close", "note"]
    assert stored[settings.OFFER_NAME].iloc[0] == f"FGZ an {host[settings.OFFER_NAME]}"
    assert stored["x"].iloc[0] == host.geometry.x and stored["y"].iloc[0] == host.geometry.y
    variant, notes = scenario_dataset(reloaded, name)
    assert notes == [] and variant.scenario == name
    fgz = variant.offers[variant.offers[settings.OFFER_TYPE] == "fgz"]
    assert sorted(fgz[settings.OFFER_ID]) == ["FGZ-119076", "FGZ-119180", "S-1"]
    assert len(variant.offers) == len(offers)  # one added, one closed

    params = Params(year=2024)
    base, after = analyse(reloaded, params), analyse(variant, params)
    comparison = compare(base, after, offer_types=reloaded.offer_types, phases=reloaded.phases,
                         variant_name=name)
    row = comparison.figures("fgz")
    assert row["left_out"] == 0  # 6-10-year-olds estimated as 4/18 of 22,500 and 18,000: whole numbers
    assert (row["in_need_before"], row["gaps_before"]) == (0, 1)  # Nord: in need, no FGZ
    # the comparison's totals are the analyses' own key figures (rule 6 totals, nothing left out here)
    assert row["in_need_before"] == pytest.approx(protected_totals(base)["in_need_reached__fgz"].value)
    assert row["in_need_after"] == pytest.approx(protected_totals(after)["in_need_reached__fgz"].value)
    per_district = comparison.districts[comparison.districts[settings.OFFER_TYPE] == "fgz"]
    assert row["reached_change"] == pytest.approx(per_district["reached_change"].sum())
    nord, sued = per_district["reached_change"]
    assert nord > 0 > sued  # the FGZ added in Nord reaches children there; the one closed in Süd no longer
    assert row["in_need_change"] == pytest.approx(nord)

    # nothing of the real data changed: same active versions, same payloads, byte for byte
    assert _digests(workspace) == real
    assert _payload_digests(Workspace(workspace.path)) == real_bytes
    assert workspace.check() == []


# --------------------------------------------------------------------------------------------- a typed edit

def _lonlat(x: float, y: float) -> tuple[str, str]:
    """Fixture point as a planner types longitude/latitude: decimal comma."""
    from geo.crs import transform_xy

    lon, lat = transform_xy(np.array([xy(x, y)[0]]), np.array([xy(x, y)[1]]), "EPSG:25832", "EPSG:4326")
    return f"{lon[0]:.7f}".replace(".", ","), f"{lat[0]:.7f}".replace(".", ",")


def test_typed_add_in_lon_lat_and_rechtswert(small_dataset):
    from geo.ingest.scenario_edits import check_edit

    lon, lat = _lonlat(1500, 500)
    checked = check_edit(small_dataset, "add", offer_type="fgz", name=HOSTILE[0], x=lon, y=lat, capacity="12,5")
    assert checked.ok and checked.crs == "EPSG:4326" and checked.report.problems == []
    row = checked.edits.iloc[0]
    assert (row["action"], row[settings.OFFER_ID], row[settings.OFFER_NAME]) == ("add", "S-1", HOSTILE[0])
    assert row[settings.OFFER_CAPACITY] == 12.5
    assert abs(row["x"] - xy(1500, 0)[0]) < 0.5 and abs(row["y"] - xy(0, 500)[1]) < 0.5
    again = check_edit(small_dataset, "move", edits=checked.edits, offer_id="S-1", x="401600,0", y="5700500")
    assert again.ok and again.crs == "EPSG:25832"
    offers, notes = apply_edits(small_dataset.offers, again.edits)
    assert notes == [] and _points(offers)["S-1"] == (1600, 500)


def test_typed_edit_reports_every_problem_at_once(small_dataset):
    from geo.ingest.scenario_edits import check_edit

    checked = check_edit(small_dataset, "add", offer_type="kiosk", name="  ", x="abc", y="5700500", capacity="-3")
    assert checked.edits is None and not checked.ok
    assert [(p.column, p.message) for p in checked.report.errors] == [
        ("Angebotsart", "Die Angebotsart „kiosk“ gibt es nicht. Möglich sind: " + ", ".join(
            f"{t} ({label})" for t, label in small_dataset.offer_types["label"].items()) + "."),
        ("Name", "Bitte geben Sie einen Namen an."),
        ("Kapazität", "Die Kapazität kann nicht negativ sein."),
        ("Rechtswert / Länge", "„abc“ ist keine Zahl."),
    ]


@pytest.mark.parametrize(("x", "y", "message"), [
    ("51,4818", "7,2160", "vertauscht"),
    ("12", "34", "keinem bekannten Koordinatensystem"),
    ("420000", "5700500", "außerhalb des Stadtgebiets (erlaubt sind höchstens 5 km)"),
])
def test_typed_coordinates_refused(small_dataset, x, y, message):
    from geo.ingest.scenario_edits import check_edit

    checked = check_edit(small_dataset, "move", offer_id="F1", x=x, y=y)
    assert not checked.ok and message in str(checked.report.errors[0])


def test_typed_edit_near_the_city_warns_and_context_types(small_dataset):
    from geo.ingest.scenario_edits import check_edit

    checked = check_edit(small_dataset, "add", offer_type="grundschule", name="GS Rand", x="404000", y="5700500")
    assert checked.ok
    assert [p.message for p in checked.report.warnings] == [
        "Grundschulen sind Kontext (z. B. Orte für ein Angebot): ihre Reichweite wird nicht ausgewertet.",
        "Der Standort liegt etwa 1 km außerhalb des Stadtgebiets. Bitte prüfen Sie, ob er so gemeint ist."]


def test_typed_edit_on_offers(small_dataset):
    from geo.ingest.scenario_edits import check_edit

    closed = check_edit(small_dataset, "close", offer_id="F2")
    assert closed.ok and list(closed.edits["action"]) == ["close"]
    assert "bereits geschlossen" in str(check_edit(small_dataset, "capacity", edits=closed.edits, offer_id="F2",
                                                   capacity="4").report.errors[0])
    assert str(check_edit(small_dataset, "close", offer_id="X9").report.errors[0]) == \
        "Ein Angebot „X9“ gibt es nicht."
    assert str(check_edit(small_dataset, "capacity", offer_id="F1").report.errors[0]) == \
        "Bitte geben Sie die neue Kapazität an."
    capacity = check_edit(small_dataset, "capacity", offer_id="F1", capacity="1.234")
    assert capacity.edits[settings.OFFER_CAPACITY].iloc[0] == 1.234  # one point: the decimal point
    assert not check_edit(small_dataset, "note", note=" ").ok
    assert not check_edit(small_dataset, "explode").ok


# --------------------------------------------------------------------------------------------- CLI and exports

@pytest.fixture
def city_with_plan(data_root, small_dataset):
    workspace = create_workspace("Teststadt", make_default=True)
    workspace.save_many({"districts": small_dataset.districts, "indicators": small_dataset.indicators,
                         "offers": small_dataset.offers, "residents": small_dataset.residents}, filename="test")
    edits = add_offer(None, small_dataset.offers, offer_type="fgz", name="FGZ Südpark", x=xy(1500, 500)[0],
                      y=xy(1500, 500)[1])
    save_scenario(workspace, "=cmd|' /C calc'!A0", add_note(edits, "Träger gefunden"))
    return workspace


def test_cli_scenario_list_show_compare(city_with_plan, capsys):
    from geo.cli import main

    name = "=cmd|' /C calc'!A0"
    assert main(["scenario", "list"]) == 0
    assert capsys.readouterr().out == f"„{name}“ – Angebot hinzufügen: 1, Annahme / Beschreibung: 1\n"
    assert main(["scenario", "show", name]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == scenario_text(name)
    assert out[1].startswith("  Schritt 1 – Angebot hinzufügen: „FGZ Südpark“ (S-1), fgz, bei 401.500 / 5.700.500")
    assert out[2] == "  Schritt 2 – Annahme / Beschreibung: Träger gefunden"
    assert main(["scenario", "compare", name, "--radius", "fgz=600"]) == 0
    out = capsys.readouterr().out
    assert f"Vergleich: „Bestand“ → „{name}“" in out and scenario_text(name) in out
    # 6-10-year-olds estimated as 4/18 of the children: A 22.2, B 55.6, C 17.8. Before, the FGZ reach A's and C's
    # homes (0 m, 400 m); with 600 m the new FGZ at B's 1,500 m reaches B's homes at 0 m and 300 m too.
    assert ("Familiengrundschulzentren (FGZ): +56 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 "
            "Versorgungslücke geschlossen\n  Kinder von 6 bis unter 10 Jahren in Reichweite: 40 → 96; davon in "
            "Sozialräumen mit hohem Bedarf: 0 → 56\n  Versorgungslücken: 1 → 0 (geschlossen 1, neu 0)\n") in out
    assert out.endswith("Präventionskette – geänderte Glieder:\n  02 Südpark: Grundschule ✘ → ✔\n")
    assert main(["scenario", "compare", "Gibt es nicht"]) == 2
    assert "Gespeichert: „=cmd" in capsys.readouterr().err


def test_export_of_a_scenario_says_so(city_with_plan, tmp_path, monkeypatch):
    import json

    from geo.cli import main

    monkeypatch.chdir(tmp_path)
    name = "=cmd|' /C calc'!A0"
    assert main(["export", "table", "--format", "csv", "--scenario", name, "--date", "2026-12-01"]) == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["praeventionsatlas_table_2024_szenario-cmd-c-calc-a0.csv",
                     "praeventionsatlas_table_2024_szenario-cmd-c-calc-a0.json"]
    text = (tmp_path / files[0]).read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("Szenario;")
    # every row says it; the name sits inside the text, so no cell starts with a formula character
    assert all(line.startswith(scenario_text(name) + ";") for line in text[1:]) and len(text) == 4
    side = json.loads((tmp_path / files[1]).read_text(encoding="utf-8"))
    assert side["data"]["scenario"]["name"] == name
    assert side["data"]["source"].endswith(scenario_text(name))
    assert side["data"]["scenario"]["edits"][1] == "Schritt 2 – Annahme / Beschreibung: Träger gefunden"
    assert main(["export", "chain", "--format", "csv", "--scenario", name, "--out", "kette.csv"]) == 0
    assert (tmp_path / "kette.csv").read_text(encoding="utf-8-sig").startswith("Szenario;")
    assert main(["export", "table", "--format", "csv", "--out", "bestand.csv"]) == 0
    assert not (tmp_path / "bestand.csv").read_text(encoding="utf-8-sig").startswith("Szenario")


def test_xlsx_exports_of_a_scenario_say_so(small_dataset):
    import io

    from openpyxl import load_workbook

    from geo.export import chain_xlsx_bytes, xlsx_bytes

    name = "$x$ {{ 7*191 }}"
    edits = close_offer(None, small_dataset.offers, "F2").assign(scenario=name)
    variant, _ = scenario_dataset(small_dataset.with_layers(scenarios=edits), name)
    result = analyse(variant, Params(year=2024, radii={"fgz": 600}))
    book = load_workbook(io.BytesIO(xlsx_bytes(variant, result)))
    mark = scenario_text(name)
    for sheet in ("Ergebnis", "Versorgungslücken"):
        rows = list(book[sheet].iter_rows(values_only=True))
        assert rows[0][0] == "Szenario" and len(rows) > 1 and {r[0] for r in rows[1:]} == {mark}
    settings_rows = dict(book["Einstellungen"].iter_rows(min_row=2, values_only=True))
    assert settings_rows["data.scenario.name"] == name
    assert settings_rows["data.scenario.edits"] == "Schritt 1 – Angebot schließen: „FGZ Ost“ (F2), fgz"
    assert book.properties.subject.endswith(mark)
    chain = load_workbook(io.BytesIO(chain_xlsx_bytes(variant, result)))["Präventionskette"]
    assert chain["A1"].value == "Szenario" and chain["A2"].value == mark
    plain = load_workbook(io.BytesIO(xlsx_bytes(small_dataset, analyse(small_dataset, Params(year=2024)))))
    assert plain["Ergebnis"]["A1"].value != "Szenario"


def test_html_and_gpkg_of_a_scenario_say_so(small_dataset, tmp_path):
    from geo.export import gpkg_bytes, html_bytes

    name = "<script>alert(1)</script>"
    edits = close_offer(None, small_dataset.offers, "F2").assign(scenario=name)
    variant, _ = scenario_dataset(small_dataset.with_layers(scenarios=edits), name)
    result = analyse(variant, Params(year=2024))
    html = html_bytes(variant, result).decode("utf-8")
    assert "<title>Präventionsatlas – Karte 2024 – Szenario „&lt;script&gt;alert(1)&lt;/script&gt;“ – kein Bestand, " \
           "nur Planungsvariante</title>" in html
    assert name not in html
    path = tmp_path / "ergebnis.gpkg"
    path.write_bytes(gpkg_bytes(variant, result))
    with sqlite3.connect(path) as conn:
        (description,) = conn.execute("SELECT description FROM gpkg_contents WHERE table_name = 'sozialraeume'")\
            .fetchone()
        meta = dict(conn.execute("SELECT schluessel, wert FROM metadaten").fetchall())
    assert description == f"Präventionsatlas: Ergebnis je Sozialraum, Indikatorjahr 2024 – {scenario_text(name)}"
    assert meta["data.scenario.name"] == name
