"""The page "Standorte" (AppTest), its tables and its map: the demo's FGZ suggestion, saving, hostile text."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import settings
from geo.analysis import analyse
from geo.analysis.compare import compare
from geo.analysis.scenarios import names
from geo.analysis.site_problem import build_problem
from geo.analysis.sites import CANDIDATE_COLUMNS, solve_max_cover
from geo.demo import load_demo
from geo.render import site_tables
from geo.render.web.site_map import site_map, site_payload
from geo.store import open_workspace
from geo.store.scenarios import stored_edits
from tests.apptest import open_page

PAGE = "app_pages/11_Standorte.py"
TIMEOUT = 90
HOSTILE = "<script>alert(1)</script> $x$ {{ 7*191 }} =cmd|' /C calc'!A0"
#: The demo's FGZ suggestion for k = 2 among the Grundschulen without FGZ with Sozialindex ≥ 6 (3 candidates):
#: children 6–9 in reach with the 20 FGZ of the Bestand, after each site, and of them in districts in need.
BEFORE, AFTER_FIRST, AFTER = 3607, 3938, 4275
IN_NEED_BEFORE, IN_NEED_AFTER = 1512, 2165
SITES = ["GGS Buchenhain", "GGS Eichkamp"]


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "success", "warning", "info", "error")
                     for e in at.get(kind))


def suggested(at):
    at.button(key="sites_go").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def test_the_demo_suggests_two_fgz_and_refuses_to_save_them():
    at = open_page(PAGE, timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert at.title[0].value == "Standorte"
    assert not at.dataframe  # nothing is computed before the button
    assert "Bedarfsgewicht: Status sehr niedrig ×3, Status niedrig ×2, übrige Sozialräume ×1" in texts(at)
    assert at.selectbox(key="sites_min_index").value == settings.SOZIALINDEX_HIGH

    suggested(at)
    ranked = at.dataframe[1].value
    assert ranked["Rang"].tolist() == [1, 2]
    assert ranked["Name"].tolist() == SITES
    assert ranked["Zugewinn"].tolist() == [AFTER_FIRST - BEFORE, AFTER - AFTER_FIRST]
    assert ranked["erreicht danach"].tolist() == [AFTER_FIRST, AFTER]
    coverage = at.dataframe[0].value
    assert coverage["vorher"].tolist() == [BEFORE, IN_NEED_BEFORE]
    assert coverage["nachher"].tolist() == [AFTER, IN_NEED_AFTER]
    assert at.success[0].value.startswith("Löserstatus: optimal gelöst")
    # the analysis of the data set with both sites added agrees with the solver's coverage
    assert f"+{AFTER - BEFORE} Kinder von 6 bis unter 10 Jahren in Reichweite, 2 Versorgungslücken geschlossen" \
        in texts(at).replace("\\", "")

    at.text_input(key="sites_name").input("Plan A").run(timeout=TIMEOUT)
    at.button(key="sites_save").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert "Die Demo Musterstadt ist schreibgeschützt" in at.error[0].value
    assert "Übungskopie der Demo" in texts(at)


def test_saving_in_a_practice_copy_stores_the_scenario_and_leaves_the_offers_as_they_were(practice):
    before = {layer: (info.version, info.sha256) for layer, info in practice.active_versions().items()}
    offers = practice.load("offers")
    at = suggested(open_page(PAGE, timeout=TIMEOUT))
    at.text_input(key="sites_name").input(HOSTILE).run(timeout=TIMEOUT)
    at.button(key="sites_save").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]

    workspace = open_workspace(str(practice.path))
    after = {layer: (info.version, info.sha256) for layer, info in workspace.active_versions().items()}
    assert after.pop("scenarios")[0] == 1
    assert after == before  # every real layer keeps its active version, byte for byte (sha256 of its payload)
    pd.testing.assert_frame_equal(workspace.load("offers"), offers)
    edits = stored_edits(workspace)
    assert names(edits) == [HOSTILE]
    assert edits["action"].tolist() == ["add", "add", "note"]  # scenarios.edits_from_suggestion
    assert edits[settings.OFFER_NAME].tolist()[:2] == [f"Vorschlag {i}: {n}" for i, n in enumerate(SITES, 1)]
    assert set(edits["source"]) == {"suggestion"}
    assert edits["note"].iloc[-1].startswith("Standortvorschlag Familiengrundschulzentren (FGZ): 2 neue Standorte")
    assert edits["note"].iloc[-1].endswith(" Ziel: 2 neue Familiengrundschulzentren (FGZ).")
    shown = at.success[-1].value
    assert shown.startswith("Szenario „\\<script\\>alert\\(1\\)\\</script\\> \\$x\\$ \\{\\{ 7\\*191 \\}\\}")
    assert "kein Bestand, nur Planungsvariante" in shown
    assert f"+{AFTER - BEFORE} Kinder von 6 bis unter 10 Jahren in Reichweite" in shown.replace("\\", "")


# ------------------------------------------------------------------------------------------- tables and the map


def test_small_counts_are_whole_people_and_one_or_two_hidden():
    assert site_tables.small_counts([0, 1, 2.4, 2.6, 3, 1240.4]).tolist() == [0, "< 3", "< 3", 3, 3, 1240]


@pytest.fixture(scope="module")
def hostile_list(demo):
    """Two listed candidates with hostile names near the demo's centre, as an uploaded list would give them."""
    centre = demo.districts.to_crs(settings.METRIC_CRS).union_all().centroid
    points = [shapely.Point(centre.x + dx, centre.y) for dx in (0.0, 2500.0)]
    return gpd.GeoDataFrame({
        "candidate_id": ["L1", "L2"], settings.OFFER_NAME: [HOSTILE, "Haus 2"],
        settings.OFFER_ADDRESS: ["{% raw %}<b>Weg</b>", ""], "source": ["list", "list"],
        settings.DISTRICT_ID: ["", ""], settings.SOZIALINDEX: [np.nan, np.nan],
    }, geometry=points, crs=settings.METRIC_CRS)[[*CANDIDATE_COLUMNS, "geometry"]]


def test_the_site_map_keeps_hostile_candidate_names_as_text(demo, hostile_list):
    result = analyse(demo)
    problem = build_problem(demo, "familienbuero", hostile_list)
    solution = solve_max_cover(problem, 1)
    payload = site_payload(result, demo, problem, solution)
    assert len(payload["suggested"]) == 1 and len(payload["candidates"]) == 1
    assert payload["reach_circles"][0][2] == result.radii["familienbuero"]  # radius model: a circle
    assert len(payload["existing"]) == int((demo.offers[settings.OFFER_TYPE] == "familienbuero").sum())
    tips = " ".join(row[-1] for row in payload["suggested"] + payload["candidates"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tips and "&lt;b&gt;Weg&lt;/b&gt;" in tips
    page = site_map(result, demo, problem, solution).get_root().render()
    assert "1337" not in page and "{% raw %}" not in page
    assert "alert(1)</script>" not in page and "<b>Weg</b>" not in page
    assert "paSites.draw" in page and "atlas/sites.js" in page


def test_the_ranked_table_and_the_change_follow_the_analysis(demo, hostile_list):
    result = analyse(demo)
    problem = build_problem(demo, "familienbuero", hostile_list)
    solution = solve_max_cover(problem, 2)
    table = site_tables.ranked_table(solution, result)
    assert list(table.columns) == list(site_tables.RANK_HEADERS.values())
    assert table["Herkunft"].tolist() == ["hochgeladene Kandidatenliste"] * len(table)
    added = gpd.GeoDataFrame({settings.OFFER_ID: [f"n{i}" for i in range(len(solution.sites))],
                              settings.OFFER_TYPE: "familienbuero",
                              settings.OFFER_NAME: solution.sites[settings.OFFER_NAME].to_numpy()},
                             geometry=solution.sites.geometry.to_numpy(), crs=settings.METRIC_CRS)
    offers = pd.concat([demo.offers.to_crs(settings.METRIC_CRS), added], ignore_index=True)
    variant = analyse(demo.with_layers(offers=gpd.GeoDataFrame(offers, crs=settings.METRIC_CRS)))
    comparison = compare(result, variant)
    change = comparison.key_figures.set_index(settings.OFFER_TYPE).at["familienbuero", "reached_change"]
    assert round(change) == round(solution.after.people - solution.before.people)
    text = site_tables.change_text(comparison, result, "familienbuero")
    closed = comparison.key_figures.set_index(settings.OFFER_TYPE).at["familienbuero", "gaps_closed"]
    assert 3 <= change < 1000
    assert text == f"+{round(change)} Kinder von 0 bis unter 3 Jahren in Reichweite, {closed} Versorgungslücken " \
        "geschlossen"
    districts = site_tables.district_changes(comparison, result, variant, "familienbuero")
    assert len(districts) == int((np.rint(comparison.districts.query("offer_type == 'familienbuero'")
                                          ["reached_change"]) != 0).sum())


# ------------------------------------------------------------------------------------------- the uploaded list


def test_an_uploaded_cp1252_list_names_its_bad_row_and_the_suggestion_uses_the_good_rows(demo):
    centre = demo.districts.to_crs(settings.METRIC_CRS).union_all().centroid
    german = lambda v: f"{v:.1f}".replace(".", ",")  # noqa: E731 - decimal commas as Excel writes them
    rows = ["Nr;Name;Rechtswert;Hochwert", f"K1;{HOSTILE};{german(centre.x)};{german(centre.y)}",
            "K2;Gemeindehaus Süd;zwei;5727367,5", f"K3;Bürgerhaus Nord;{german(centre.x + 1500)};{german(centre.y)}"]
    at = open_page(PAGE, timeout=TIMEOUT)
    at.checkbox(key="sites_hosts_fgz").uncheck().run(timeout=TIMEOUT)
    at.file_uploader(key="sites_upload").upload("kandidaten.csv", "\r\n".join(rows).encode("cp1252")).run(
        timeout=TIMEOUT)
    assert not at.exception, at.exception
    error = at.error[0].value
    assert error.startswith("**Kandidatenliste „kandidaten\\.csv“:** 1 Fehler.")
    assert "Zeile 3" in error and "zwei" in error  # the Excel row of K2 (row 1 is the header)
    assert "Kandidatenliste „kandidaten\\.csv“: 2 Standorte verwendbar." in texts(at)
    assert at.multiselect(key="sites_exclude_fgz").options == [HOSTILE, "Bürgerhaus Nord"]  # K1, K3 by name

    suggested(at)
    ranked = at.dataframe[1].value
    assert set(ranked["Name"]) <= {HOSTILE, "Bürgerhaus Nord"} and len(ranked)
    assert set(ranked["Herkunft"]) == {"hochgeladene Kandidatenliste"}
    assert "<script>" not in texts(at)  # the hostile name is escaped wherever Markdown shows it
