"""Reach models by hand: assigned Grundschule (nearest, or by Schuleinzugsbereich), births per clinic, catchments.

Three 1 km districts A | B | C side by side. Grundschulen S1 (A's centre, x=500), S2 (x=1,800, in B), S3 (x=2,500,
C's centre); an FGZ under S1's Schulnummer and one 50 m from S3: 2 of 3 schools run an FGZ. Resident points
(x; children 6–9; children 0–17): A 200 (10; 20) · B 1,100 (6; 10) and 1,600 (18; 30) · C 2,900 (8; 15).
Nearest school: A→S1, B 1,100→S1 (600 m vs 700 m), B 1,600→S2, C→S3.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import catalog, settings
from geo.analysis import Params, analyse, column
from geo.analysis.population import CHILDREN
from geo.analysis.reach_models import area_of_points, assign_hosts, district_share
from geo.dataset import Dataset
from tests.conftest import xy

SHARE = column("share_in_reach", "fgz")


def _offers(rows) -> gpd.GeoDataFrame:
    ids, types, xs = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {settings.OFFER_ID: list(ids), settings.OFFER_TYPE: list(types), settings.OFFER_NAME: [f"N {i}" for i in ids],
         settings.OFFER_ADDRESS: "", settings.OFFER_CAPACITY: np.nan},
        geometry=[Point(xy(x, 500)) for x in xs], crs=settings.METRIC_CRS,
    )


SCHOOLS = [("S1", "grundschule", 500), ("S2", "grundschule", 1800), ("S3", "grundschule", 2500),
           ("S1", "fgz", 500), ("FGZ-Ost", "fgz", 2550)]


def _areas(rows, offer_type: str) -> gpd.GeoDataFrame:
    """Catchments ``(offer_id, x_from, x_to)`` spanning the districts' height."""
    return gpd.GeoDataFrame(
        {settings.CATCHMENT_ID: [f"E{i}" for i in range(len(rows))], settings.OFFER_TYPE: offer_type,
         settings.OFFER_ID: [r[0] for r in rows], settings.OFFER_NAME: [f"Gebiet {r[0]}" for r in rows]},
        geometry=[box(*xy(a, 0), *xy(b, 1000)) for _, a, b in rows], crs=settings.METRIC_CRS,
    )


@pytest.fixture
def city(squares, indicators) -> Dataset:
    residents = gpd.GeoDataFrame(
        {settings.INHABITANTS: [100, 60, 150, 70], settings.CHILDREN: [20, 10, 30, 15],
         settings.age_column(6, 10): [10, 6, 18, 8]},
        geometry=[Point(xy(x, 500)) for x in (200, 1100, 1600, 2900)], crs=settings.METRIC_CRS,
    )
    table = indicators.assign(**{settings.age_column(6, 10): [40, 96, 16], settings.BIRTHS: [40, 20, 10]})
    return Dataset(
        districts=squares, indicators=table, offers=_offers(SCHOOLS), residents=residents,
        offer_types=catalog.read_offer_types(), indicator_definitions=catalog.read_indicator_definitions(),
        source="Testdaten",
    )


def _by_id(result, name: str) -> list[float]:
    return result.districts.set_index(settings.DISTRICT_ID)[name].tolist()


def test_fgz_reach_is_the_share_whose_nearest_school_runs_an_fgz(city) -> None:
    result = analyse(city)
    # A: 10 of 10 at S1; B: 6 (S1) of 6 + 18; C: 8 at S3
    assert _by_id(result, SHARE) == pytest.approx([1.0, 0.25, 1.0])
    assert _by_id(result, column("target", "fgz")) == [40, 96, 16]  # the table's children 6–9
    assert _by_id(result, column("without_reach", "fgz")) == [0, 72, 0]  # 96 × 0.75
    model = result.reach_models["fgz"]
    assert (model.kind, model.note) == ("zuordnung", "")
    assert model.description == "zugeordnete Grundschule (nächste; 2 von 3 Einrichtungen mit FGZ)"
    # the median way stays the straight line to the nearest FGZ: 6 children at 600 m, 18 at 950 m
    assert _by_id(result, column("median_distance_m", "fgz"))[1] == pytest.approx(950)
    target = result.targets["fgz"]
    assert target.plural == "Kinder von 6 bis unter 10 Jahren" and target.note == ""
    assert target.source.startswith("Indikatorentabelle, Spalte „age_6_10“; Wohnorte: ")
    gap = result.gaps[(result.gaps["offer_type"] == "fgz") & (result.gaps[settings.DISTRICT_ID] == "02")].iloc[0]
    assert gap["reason"] == "75 % der Kinder von 6 bis unter 10 Jahren gehören zu einer Grundschule ohne FGZ"
    assert gap["population"] == 96 and bool(gap["is_gap"])
    assert result.key_figures[column("target", "fgz")] == 152


def test_schuleinzugsbereiche_assign_before_the_nearest_school(city) -> None:
    # B 1,100 lies in S2's area (no FGZ), B 1,600 in S1's; A and C lie in no area: nearest school; S9 is unknown
    areas = _areas([("S2", 1000, 1400), ("S1", 1400, 1700), ("S9", 2000, 2100)], "grundschule")
    result = analyse(city.with_layers(catchments=areas))
    assert _by_id(result, SHARE) == pytest.approx([1.0, 0.75, 1.0])  # B: 18 of 24
    model = result.reach_models["fgz"]
    assert model.description == ("zugeordnete Grundschule (nach Einzugsgebiet, sonst nächste; 2 von 3 "
                                 "Einrichtungen mit FGZ)")
    assert model.note == "Einzugsgebiete ohne passende Grundschule: „S9“"


def test_births_per_clinic_table_gives_the_lotsendienst_share(city) -> None:
    offers = _offers([("K1", "lotsendienst", 500), ("K2", "geburtsklinik", 2500)])
    births = pd.DataFrame({settings.DISTRICT_ID: ["01", "01", "02", "02", "03", "03"],
                           "clinic_id": ["K1", "K2", "K1", "K2", "K2", "K9"],
                           settings.BIRTHS: [30.0, 10.0, 5.0, 15.0, 8.0, 2.0]})
    share = column("share_in_reach", "lotsendienst")
    nearest = analyse(city.with_layers(offers=offers))
    # births spread by the points' children: A→K1; B 1,100→K1 (10 of 40 children), 1,600→K2; C→K2
    assert _by_id(nearest, share) == pytest.approx([1.0, 0.25, 0.0])
    assert nearest.reach_models["lotsendienst"].description == (
        "zugeordnete Geburtsklinik (nächste; 1 von 2 Einrichtungen mit Lotsendienst)")
    assert nearest.targets["lotsendienst"].plural == "Geburten"
    assert _by_id(nearest, column("target", "lotsendienst")) == [40, 20, 10]
    result = analyse(city.with_layers(offers=offers, clinic_births=births))
    assert _by_id(result, share) == pytest.approx([0.75, 0.25, 0.0])  # 30/40, 5/20, 0/10
    model = result.reach_models["lotsendienst"]
    assert model.kind == "zuordnung"
    assert model.description == "Geburten je Klinik laut Geburtentabelle (1 von 2 Einrichtungen mit Lotsendienst)"
    assert model.note == ("Klinik-Nummern der Geburtentabelle ohne passende Klinik (gezählt als ohne "
                          "Lotsendienst): „K9“")
    gap = result.gaps[(result.gaps["offer_type"] == "lotsendienst") & (result.gaps[settings.DISTRICT_ID] == "02")]
    assert gap["reason"].iloc[0] == "75 % der Geburten kommen in einer Klinik ohne Lotsendienst zur Welt"


def test_births_table_of_another_year_is_not_used(city) -> None:
    offers = _offers([("K1", "lotsendienst", 500), ("K2", "geburtsklinik", 2500)])
    births = pd.DataFrame({settings.DISTRICT_ID: ["01"], "clinic_id": ["K2"], settings.BIRTHS: [9.0],
                           settings.YEAR: [2019]})
    result = analyse(city.with_layers(offers=offers, clinic_births=births))
    assert _by_id(result, column("share_in_reach", "lotsendienst")) == pytest.approx([1.0, 0.25, 0.0])


def test_catchment_polygons_of_the_type(city) -> None:
    types = city.offer_types.copy()
    types.loc["familienbuero", "reach_model"] = "gebiet"
    offers = _offers([("FB1", "familienbuero", 500)])
    table = city.indicators.assign(**{settings.age_column(0, 1): [3, 5, 1], settings.age_column(1, 3): [7, 11, 2]})
    areas = _areas([("FB1", 0, 1300), ("FB9", 2800, 3000)], "familienbuero")
    result = analyse(city.with_layers(offer_types=types, offers=offers, indicators=table, catchments=areas))
    share = column("share_in_reach", "familienbuero")
    # A's point inside; B: 1,100 inside (10 children of 40, the band spread by children); C's point in FB9's area
    # only, which belongs to no Familienbüro
    assert _by_id(result, share) == pytest.approx([1.0, 0.25, 0.0])
    assert _by_id(result, column("target", "familienbuero")) == [10, 16, 3]  # 0 J. + 1–2 J.
    target = result.targets["familienbuero"]
    assert target.source.startswith("Indikatorentabelle, Summe der Altersgruppen 0 J. + 1–2 J.;")
    model = result.reach_models["familienbuero"]
    assert model.kind == "gebiet"
    assert model.description == "Wohnort in einem Zuständigkeitsgebiet der Familienbüros (1 Fläche)"
    assert model.note == "Gebiete ohne passendes Angebot (nicht gezählt): „FB9“"
    gap = result.gaps[(result.gaps["offer_type"] == "familienbuero") & (result.gaps[settings.DISTRICT_ID] == "02")]
    assert gap["reason"].iloc[0] == (
        "75 % der Kinder von 0 bis unter 3 Jahren wohnen außerhalb der Zuständigkeitsgebiete der Familienbüros")


def test_models_fall_back_to_the_radius_and_say_why(city) -> None:
    types = city.offer_types.copy()
    types.loc["familienbuero", "reach_model"] = "gebiet"
    offers = _offers([("F1", "fgz", 500), ("FB1", "familienbuero", 500)])  # no Grundschulen, no catchments
    result = analyse(city.with_layers(offer_types=types, offers=offers))
    fgz, fb = result.reach_models["fgz"], result.reach_models["familienbuero"]
    assert (fgz.kind, fgz.note) == ("radius", "keine Grundschulen erfasst – Reichweite als Luftlinie gemessen")
    assert fgz.description == "Luftlinie vom Wohnort, Radius 1 km"
    assert fb.note == "keine Zuständigkeitsgebiete der Familienbüros hochgeladen – Reichweite als Luftlinie gemessen"
    # radius 1 km from A's centre: A 200 (300 m) in; B 1,100 (600 m) in, 1,600 (1,100 m) out; C out
    assert _by_id(result, SHARE) == pytest.approx([1.0, 0.25, 0.0])
    gap = result.gaps[(result.gaps["offer_type"] == "fgz") & (result.gaps[settings.DISTRICT_ID] == "02")]
    assert gap["reason"].iloc[0].startswith("75 % der Kinder von 6 bis unter 10 Jahren wohnen weiter als 1 km")


def test_an_explicit_population_measures_every_type_for_it_and_the_models_still_apply(city) -> None:
    result = analyse(city, Params(population=settings.CHILDREN))
    assert result.targets == {"fgz": result.targets["fgz"]} and result.targets["fgz"].column == settings.CHILDREN
    assert result.targets["fgz"].plural == CHILDREN.plural
    # children instead of children 6–9: B 10 (S1) of 40
    assert _by_id(result, SHARE) == pytest.approx([1.0, 0.25, 1.0])
    assert _by_id(result, column("target", "fgz")) == [100, 250, 80]
    assert result.reach_models["fgz"].kind == "zuordnung"


# --- the numeric core -----------------------------------------------------------------------------------------

def test_district_share_and_assignment_core() -> None:
    located = np.array([0, 0, 1, -1, 2])
    weight = np.array([1.0, 3.0, 2.0, 5.0, 0.0])
    share = district_share(located, weight, np.array([True, False, True, True, True]), 3)
    assert share[:2].tolist() == [0.25, 1.0] and np.isnan(share[2])  # no people in district 2
    points = gpd.GeoSeries([Point(0, 0), Point(10, 0), Point(50, 0)]).to_numpy()
    areas = gpd.GeoDataFrame(geometry=[box(5, -1, 20, 1), box(8, -1, 60, 1)])
    assert area_of_points(points, areas).tolist() == [-1, 0, 1]  # overlap: the first area
    hosts = np.array([[0.0, 0.0], [100.0, 0.0]])
    assert assign_hosts(points, hosts, np.array([1, 0]), areas).tolist() == [0, 1, 0]
