"""The covering problem per reach model: coverage by hand on a 3-district toy city, and *after* = the analysis.

Three 1 km districts A | B | C side by side (B is the one in need, "Status niedrig", need weight 2). Resident
points at y = 500 (x; children 6–9; children 0–17): A 200 (10; 20) · B 1,100 (6; 10) and 1,600 (18; 30) ·
C 2,900 (8; 15). The indicator table has 40 | 96 | 16 children 6–9 and 40 | 20 | 10 births, so each district's
count is carried by its points in proportion to their children 6–9: A 40 · B 24 and 72 · C 16.

Grundschulen S1 (x = 500, FGZ under its Schulnummer), S2 (1,800, none), S3 (2,500, FGZ-Ost 50 m away runs there).
Nearest school: A → S1, B 1,100 → S1 (600 m vs 700 m), B 1,600 → S2, C → S3.

The invariant proved for every model: with the chosen sites added as offers (:func:`sites_as_offers`),
:func:`analyse` shows exactly the suggestion's *after*; without them its *before*.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from geo import catalog, settings
from geo._errors import DataError
from geo.analysis import Params, analyse, column
from geo.analysis.access import reach_by_district
from geo.analysis.candidates import candidate_sites, host_candidates, in_need_districts
from geo.analysis.site_problem import build_problem, need_weight, sites_as_offers
from geo.analysis.sites import CANDIDATE_COLUMNS, coverage, solve_max_cover
from geo.dataset import Dataset
from tests.conftest import xy

SCHOOLS = [("S1", "grundschule", 500), ("S2", "grundschule", 1800), ("S3", "grundschule", 2500),
           ("S1", "fgz", 500), ("FGZ-Ost", "fgz", 2550)]


def _offers(rows) -> gpd.GeoDataFrame:
    ids, types, xs = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {settings.OFFER_ID: list(ids), settings.OFFER_TYPE: list(types), settings.OFFER_NAME: [f"N {i}" for i in ids],
         settings.OFFER_ADDRESS: "", settings.OFFER_CAPACITY: np.nan},
        geometry=[Point(xy(x, 500)) for x in xs], crs=settings.METRIC_CRS,
    )


def _areas(rows, offer_type: str) -> gpd.GeoDataFrame:
    """Catchments ``(offer_id, x_from, x_to)`` spanning the districts' height."""
    return gpd.GeoDataFrame(
        {settings.CATCHMENT_ID: [f"E{i}" for i in range(len(rows))], settings.OFFER_TYPE: offer_type,
         settings.OFFER_ID: [r[0] for r in rows], settings.OFFER_NAME: [f"Gebiet {r[0]}" for r in rows]},
        geometry=[box(*xy(a, 0), *xy(b, 1000)) for _, a, b in rows], crs=settings.METRIC_CRS,
    )


def _sites(*xs: float, ids: tuple[str, ...] | None = None) -> gpd.GeoDataFrame:
    """List candidates at (x, 500)."""
    ids = ids or tuple(f"K{i}" for i in range(1, len(xs) + 1))
    return gpd.GeoDataFrame(
        {"candidate_id": list(ids), settings.OFFER_NAME: [f"Ort {i}" for i in ids], settings.OFFER_ADDRESS: "",
         "source": "list", settings.DISTRICT_ID: "", settings.SOZIALINDEX: np.nan},
        geometry=[Point(xy(x, 500)) for x in xs], crs=settings.METRIC_CRS,
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


def _reached(result, offer_type: str) -> tuple[float, float]:
    """(people in reach, of them in districts in need) as the analysis shows them (0 for a type not analysed)."""
    d = result.districts
    if column("share_in_reach", offer_type) not in d:
        return 0.0, 0.0
    reached = np.nan_to_num(d[column("target", offer_type)] * d[column("share_in_reach", offer_type)])
    return float(reached.sum()), float(result.key_figures[column("in_need_reached", offer_type)])


def assert_analysis_agrees(dataset, offer_type, candidates, chosen, params=None) -> None:
    """Before = the analysis of ``dataset``; after = the analysis with the ``chosen`` candidates added as offers."""
    params = params or Params()
    problem = build_problem(dataset, offer_type, candidates, params=params)
    before, after = coverage(problem), coverage(problem, chosen)
    assert (before.people, before.in_need) == pytest.approx(_reached(analyse(dataset, params), offer_type))
    added = sites_as_offers(dataset, offer_type, problem.candidates.iloc[list(chosen)], params=params)
    assert (after.people, after.in_need) == pytest.approx(_reached(analyse(added, params), offer_type))


# ------------------------------------------------------------------------------------------------ zuordnung


def test_fgz_at_the_nearest_school_by_hand(city):
    candidates = host_candidates(city, "fgz")
    assert candidates["candidate_id"].tolist() == ["S2"]  # S1 and S3 run an FGZ already
    problem = build_problem(city, "fgz", candidates)
    assert problem.model == "zuordnung" and problem.notes == ()
    assert problem.demand.tolist() == pytest.approx([40, 24, 72, 16])
    assert problem.weight.tolist() == [1, 2, 2, 1] and problem.in_need.tolist() == [False, True, True, False]
    assert problem.covered.tolist() == [True, True, False, True]
    assert problem.cover.toarray()[:, 0].tolist() == [False, False, True, False]  # S2 takes B 1,600
    assert coverage(problem) == pytest.approx(type(coverage(problem))(80, 24, 40 + 48 + 16))
    suggestion = solve_max_cover(problem, 1)
    assert suggestion.status == "optimal" and suggestion.sites["candidate_id"].tolist() == ["S2"]
    assert suggestion.after.people == pytest.approx(152) and suggestion.after.in_need == pytest.approx(96)
    assert suggestion.sites["gain"].tolist() == pytest.approx([72]) and suggestion.sites["gain_weighted"][0] == 144
    assert_analysis_agrees(city, "fgz", candidates, [0])


def test_a_site_at_no_school_is_a_host_of_its_own(city):
    # 1,650: 150 m from S2, so at S2; 1,500: 300 m from S2, a host of its own, nearer to B 1,600 (100 m) than S2
    # (200 m) and to B 1,100 (400 m) than S1 (600 m); 1,300: a host of its own that only takes B 1,100 (200 m)
    candidates = _sites(1650, 1500, 1300)
    problem = build_problem(city, "fgz", candidates)
    assert problem.cover.toarray().tolist() == [[False, False, False], [False, True, True],
                                                [True, True, False], [False, False, False]]
    assert problem.notes == ("2 Kandidaten liegen an keiner Grundschule: sie erreichen, wem sie näher sind als "
                             "jede Grundschule (außerhalb der Einzugsgebiete)",)
    for chosen in ([0], [1, 2]):
        assert_analysis_agrees(city, "fgz", candidates, chosen)


def test_schuleinzugsbereiche_assign_before_the_nearest_school(city):
    # B 1,100 lies in S2's area, B 1,600 in S1's: B is reached for 72 of 96 children; A and C in no area
    dataset = city.with_layers(catchments=_areas([("S2", 1000, 1400), ("S1", 1400, 1700)], "grundschule"))
    candidates = pd.concat([host_candidates(dataset, "fgz"), _sites(1150, 2800)], ignore_index=True)
    problem = build_problem(dataset, "fgz", candidates)
    assert problem.covered.tolist() == [True, False, True, True]
    # S2 takes its area's point; a host of its own at 1,150 cannot take B 1,100 (assigned by area), 2,800 takes C
    assert problem.cover.toarray().tolist() == [[False, False, False], [True, False, False],
                                                [False, False, False], [False, False, True]]
    assert coverage(problem, [0]).people == pytest.approx(40 + 96 + 16)
    for chosen in ([1], [0, 2]):
        assert_analysis_agrees(dataset, "fgz", candidates, chosen)


def test_births_per_clinic_rows_are_the_units_of_the_lotsendienst(city):
    offers = _offers([("K1", "lotsendienst", 500), ("K2", "geburtsklinik", 2500)])
    births = pd.DataFrame({settings.DISTRICT_ID: ["01", "01", "02", "02", "03", "03"],
                           "clinic_id": ["K1", "K2", "K1", "K2", "K2", "K9"],
                           settings.BIRTHS: [30.0, 10.0, 5.0, 15.0, 8.0, 2.0]})
    dataset = city.with_layers(offers=offers, clinic_births=births)
    candidates = host_candidates(dataset, "lotsendienst")
    assert candidates["candidate_id"].tolist() == ["K2"]
    problem = build_problem(dataset, "lotsendienst", candidates)
    assert problem.model == "zuordnung"
    # per row: the district's births (40 | 20 | 10) in proportion to the row's
    assert problem.demand.tolist() == pytest.approx([30, 10, 5, 15, 8, 2])
    assert problem.covered.tolist() == [True, False, True, False, False, False]
    assert problem.cover.toarray()[:, 0].tolist() == [False, True, False, True, True, False]
    assert (coverage(problem).people, coverage(problem, [0]).people) == pytest.approx((35, 68))
    assert_analysis_agrees(dataset, "lotsendienst", candidates, [0])
    # C without rows in the table: its point counts, assigned to the nearest clinic (K2)
    partial = dataset.with_layers(clinic_births=births.iloc[:4])
    problem = build_problem(partial, "lotsendienst", candidates)
    assert problem.demand.tolist() == pytest.approx([30, 10, 5, 15, 10])
    assert problem.cover.toarray()[:, 0].tolist() == [False, True, False, True, True]
    assert "übrige Sozialräume: nächste Geburtsklinik" in problem.notes
    assert_analysis_agrees(partial, "lotsendienst", candidates, [0])


def test_births_without_any_clinic_fall_back_to_the_radius_outside_the_table(city):
    offers = _offers([("K1", "lotsendienst", 500)])  # no Geburtsklinik: a candidate stands at no clinic
    births = pd.DataFrame({settings.DISTRICT_ID: ["01", "02"], "clinic_id": ["K1", "K7"], settings.BIRTHS: [4.0, 6.0]})
    dataset = city.with_layers(offers=offers, clinic_births=births)
    candidates = _sites(2600)
    problem = build_problem(dataset, "lotsendienst", candidates)
    # A and B by the table (rows K1 reached, K7 not); C by its point, 300 m from the site (radius 5 km)
    assert problem.demand.tolist() == pytest.approx([40, 20, 10])
    assert problem.covered.tolist() == [True, False, True]  # K1's row; C's point is 2,400 m from K1
    assert problem.cover.toarray()[:, 0].tolist() == [False, False, True]
    assert_analysis_agrees(dataset, "lotsendienst", candidates, [0])


# ------------------------------------------------------------------------------------------------ gebiet, radius


def test_gebiet_new_sites_reach_the_radius(city):
    types = city.offer_types.copy()
    types.loc["familienbuero", "reach_model"] = "gebiet"
    table = city.indicators.assign(**{settings.age_column(0, 1): [3, 5, 1], settings.age_column(1, 3): [7, 11, 2]})
    # FB1's area takes A 200 and B 1,100; FB9's area belongs to no Familienbüro and counts for nobody
    dataset = city.with_layers(offer_types=types, offers=_offers([("FB1", "familienbuero", 500)]), indicators=table,
                               catchments=_areas([("FB1", 0, 1300), ("FB9", 2800, 3000)], "familienbuero"))
    candidates = _sites(2500)
    problem = build_problem(dataset, "familienbuero", candidates)
    assert problem.model == "gebiet"
    assert problem.notes == ("neue Standorte haben noch kein Zuständigkeitsgebiet: ihre Reichweite ist der Umkreis "
                             "von 1,5 km (Luftlinie)",)
    # children 0–2 (10 | 16 | 3) spread by the points' children 0–17: A 10 · B 4 and 12 · C 3
    assert problem.demand.tolist() == pytest.approx([10, 4, 12, 3])
    assert problem.covered.tolist() == [True, True, False, False]
    assert problem.cover.toarray()[:, 0].tolist() == [False, True, True, True]  # 1,400, 900 and 400 m
    assert_analysis_agrees(dataset, "familienbuero", candidates, [0])
    # without areas of the type the analysis measures the radius, and so does the problem
    plain = dataset.with_layers(catchments=None)
    problem = build_problem(plain, "familienbuero", candidates)
    assert problem.model == "radius" and problem.covered.tolist() == [True, True, True, False]  # C: 2,400 m
    assert problem.notes == ("keine Zuständigkeitsgebiete der Familienbüros hochgeladen – Reichweite als Luftlinie "
                             "gemessen",)
    assert_analysis_agrees(plain, "familienbuero", candidates, [0])


def test_a_type_without_offers_has_nothing_locked(city):
    table = city.indicators.assign(**{settings.age_column(0, 1): [3, 5, 1], settings.age_column(1, 3): [7, 11, 2]})
    dataset = city.with_layers(indicators=table)
    assert "familienbuero" not in analyse(dataset).offer_types
    candidates = _sites(1500)
    problem = build_problem(dataset, "familienbuero", candidates)
    assert not problem.covered.any() and problem.cover.toarray()[:, 0].all()  # 1,300, 400, 100, 1,400 m ≤ 1,500
    assert coverage(problem, [0]).people == pytest.approx(29)
    assert_analysis_agrees(dataset, "familienbuero", candidates, [0])


def test_fgz_without_grundschulen_falls_back_to_the_radius(city):
    dataset = city.with_layers(offers=_offers([("F1", "fgz", 500)]))
    candidates = _sites(1500)
    problem = build_problem(dataset, "fgz", candidates)
    assert problem.model == "radius"
    assert problem.notes == ("keine Grundschulen erfasst – Reichweite als Luftlinie gemessen",)
    assert problem.covered.tolist() == [True, True, False, False]  # 300 and 600 m; B 1,600 is 1,100 m away
    assert problem.cover.toarray()[:, 0].tolist() == [False, True, True, False]
    assert analyse(dataset).reach_models["fgz"].kind == "radius"
    assert_analysis_agrees(dataset, "fgz", candidates, [0])


def test_the_radius_boundary_is_the_analysis_boundary(city):
    """A point exactly at the radius is in reach, one a micrometre beyond is not – for offers and for sites alike."""
    offsets = np.array([(300.0, 400.0), (0.0, 500.0), (500.000001, 0.0), (353.5533905932738, 353.5533905932738),
                        (353.5533905932738, 353.5533905932739)])
    points = [Point(xy(100 + dx, 100 + dy)) for dx, dy in offsets] + \
        [Point(xy(2100 + dx, 100 + dy)) for dx, dy in offsets]
    residents = gpd.GeoDataFrame({settings.INHABITANTS: [10] * 10, settings.CHILDREN: [10] * 10}, geometry=points,
                                 crs=settings.METRIC_CRS)
    offers = _offers([("FB1", "familienbuero", 0)]).set_geometry([Point(xy(100, 100))], crs=settings.METRIC_CRS)
    dataset = city.with_layers(offers=offers, residents=residents)
    params = Params(radii={"familienbuero": 500.0}, population=settings.CHILDREN)
    candidates = _sites(0).set_geometry([Point(xy(2100, 100))], crs=settings.METRIC_CRS)
    problem = build_problem(dataset, "familienbuero", candidates, params=params)
    reach = reach_by_district(city.districts, residents.iloc[:5], offers, radius_m=500.0,
                              weight_column=settings.CHILDREN)
    delta = shapely.get_coordinates(residents.geometry.to_numpy()[:5]) - np.array(xy(100, 100))
    distance = np.sqrt(delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1])  # from the stored coordinates
    expected = distance <= 500.0
    assert expected.tolist() == [True, True, False, True, True]  # the diagonals round to 500 m exactly
    assert problem.covered.tolist()[:5] == expected.tolist()
    assert problem.cover.toarray()[5:, 0].tolist() == expected.tolist()  # the same offsets around the site
    assert reach.at["01", "share_in_reach"] * 50 == pytest.approx(10 * expected.sum())
    assert_analysis_agrees(dataset, "familienbuero", candidates, [0], params=params)


# ------------------------------------------------------------------------------------------------ the whole way


def test_need_weights_follow_the_status_class():
    status = pd.Series(["Status sehr niedrig", "Status niedrig", "Status mittel", None])
    assert need_weight(status).tolist() == [3.0, 2.0, 1.0, 1.0]
    assert need_weight(status, {"Status mittel": 0.5}).tolist() == [1.0, 1.0, 0.5, 1.0]


def test_unknown_or_context_types_are_refused(city):
    with pytest.raises(DataError, match="„kita“ lassen sich keine Standorte vorschlagen. Möglich sind: "
                                        "„familienbuero“ \\(Familienbüro\\)"):
        build_problem(city, "kita", _sites(100))
    with pytest.raises(DataError, match="„grundschule“"):
        build_problem(city, "grundschule", _sites(100))


def test_an_empty_candidate_list_gives_an_empty_problem(city):
    problem = build_problem(city, "fgz", _sites(100).iloc[:0])
    assert problem.cover.shape == (4, 0) and list(problem.candidates.columns[:6]) == list(CANDIDATE_COLUMNS)
    assert solve_max_cover(problem, 2).status == "no_candidates"


@pytest.mark.parametrize("offer_type", ["fgz", "familienbuero", "lotsendienst"])
def test_on_the_demo_after_is_what_the_analysis_shows(offer_type):
    from geo.analysis.run import prepare
    from geo.demo import load_demo

    demo = load_demo()
    candidates, _ = candidate_sites(demo, offer_type, grid_in=in_need_districts(prepare(demo)), spacing_m=800)
    suggestion = solve_max_cover(build_problem(demo, offer_type, candidates), 3)
    assert suggestion.status == "optimal" and 1 <= len(suggestion.sites) <= 3
    before = _reached(analyse(demo), offer_type)
    after = _reached(analyse(sites_as_offers(demo, offer_type, suggestion.sites)), offer_type)
    assert (suggestion.before.people, suggestion.before.in_need) == pytest.approx(before)
    assert (suggestion.after.people, suggestion.after.in_need) == pytest.approx(after)
    assert suggestion.after.in_need > suggestion.before.in_need
