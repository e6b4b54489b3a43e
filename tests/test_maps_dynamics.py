"""The Karte's views of change: Dynamik and Gesamtindex layers (4 × 3 legend, attention outline), change maps."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from geo import catalog, settings
from geo.analysis import analyse
from geo.analysis.dynamics import OVERALL_CLASSES, attention_rule_text
from geo.dataset import Dataset
from geo.demo import load_demo
from geo.ingest import check_upload, commit_upload, parse_indicator_options
from geo.render import palette
from geo.render.palette import NO_CLASS_COLOR
from geo.render.web import dynamics_map, leaflet, map_data
from geo.render.web.dynamics_map import CHANGE, DYNAMIC, OVERALL, ChangeChoice
from geo.render.web.payload import features_of
from geo.render.web.symbols import esc
from geo.store import Workspace
from tests.apptest import open_page

XSS = "<img src=x onerror=alert(1)>{{ 7*191 }}"
CELL = re.compile(r"<td class='pa-gv[^']*' style='[^']*' title='([^']*)'>(\d+)</td>")


@pytest.fixture(scope="module")
def demo():
    dataset = load_demo()
    return dataset, analyse(dataset)


def fills(data: dict) -> list[str]:
    return [f["properties"]["fill"] for f in features_of(data["districts"])]


def legend_count(legend: str, label: str) -> int:
    """The count the legend shows after ``label`` ("Dynamik stabil (−1 bis +1) (41)")."""
    match = re.search(re.escape(esc(label)) + r" <span class='pa-n'>\((\d+)\)</span>", legend)
    assert match, f"{label!r} not in the legend"
    return int(match.group(1))


# ------------------------------------------------------------------------------------------ Dynamik, Gesamtindex


def test_dynamik_layer_colours_every_district_by_its_class(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset, variable=DYNAMIC)
    d = result.districts
    expected = [palette.DYNAMIC_COLORS.get(c, NO_CLASS_COLOR) for c in d["dynamic_class"]]
    assert fills(data) == expected
    # the demo (contract of 898320b): 2023 → 2024, 7 positiv, 41 stabil, 6 negativ, 15 with attention
    legend = data["legend"]
    assert legend_count(legend, "Dynamik positiv (Index unter −1)") == 7
    assert legend_count(legend, "Dynamik stabil (−1 bis +1)") == 41
    assert legend_count(legend, "Dynamik negativ (Index über +1)") == 6
    unclassified = len(d) - 54
    if unclassified:
        assert legend_count(legend, "nicht klassifiziert") == unclassified
    assert "Dynamik 2023–2024 (Dynamikindex)" in legend
    assert [f["properties"]["attention"] for f in features_of(data["districts"])] == d["attention"].tolist()
    assert sum(d["attention"]) == 15
    assert "dick umrandet <span class='pa-n'>(15)</span>" in legend
    assert esc("Regel: " + attention_rule_text()) in legend
    assert data["attention_label"] == "Besonderer Aufmerksamkeitsbedarf"


def test_gesamtindex_legend_is_a_4_by_3_grid_whose_counts_are_the_analysis(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset, variable=OVERALL)
    d = result.districts
    assert fills(data) == [palette.OVERALL_COLORS.get(c, NO_CLASS_COLOR) for c in d["overall_class"]]
    cells = CELL.findall(data["legend"])
    assert len(cells) == 12
    counts = d["overall_class"].value_counts()
    # cells in status-major order, each titled with its label and MSS code
    assert [t.split(" (")[0] for t, _ in cells] == [esc(c) for c in OVERALL_CLASSES]
    assert [int(n) for _, n in cells] == [int(counts.get(c, 0)) for c in OVERALL_CLASSES]
    assert cells[8][0] == esc("Status niedrig, Dynamik negativ (3 −)")
    no_class = int((d["overall_class"] == "").sum())
    assert sum(int(n) for _, n in cells) + no_class == len(d)
    if no_class:
        assert legend_count(data["legend"], "nicht klassifiziert") == no_class
    # the rule's cells are outlined: status niedrig and sehr niedrig (any dynamik) and mittel/negativ = 7 cells
    assert data["legend"].count("pa-gv pa-ga") == 7
    # rows and columns named with their MSS code part
    for head in ("1 hoch", "2 mittel", "3 niedrig", "4 sehr niedrig", "+<br>positiv", "+/−<br>stabil", "−<br>negativ"):
        assert head in data["legend"]


def test_tooltips_name_classes_code_and_the_reason(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset, variable=OVERALL)
    d = result.districts
    tips = [f["properties"]["tip"] for f in features_of(data["districts"])]
    i = int(np.flatnonzero(d["overall_class"] == d["overall_class"][d["dynamic_classified"]].iloc[0])[0])
    assert f"{esc(d['overall_class'].iloc[i])} ({esc(d['overall_code'].iloc[i])})" in tips[i]
    assert f"<td>Dynamikklasse</td><td>{d['dynamic_class'].iloc[i]}</td>" in tips[i]
    without = np.flatnonzero(~d["dynamic_classified"].to_numpy(dtype=bool))
    for j in without:
        assert "<td>Dynamikklasse</td><td>nicht klassifiziert</td>" in tips[j]
        if d["dynamic_reason"].iloc[j]:
            assert f"<td>ohne Klasse, weil</td><td>{esc(d['dynamic_reason'].iloc[j])}</td>" in tips[j]
        assert "Dynamikindex" not in tips[j]  # "•" would be shown; the reason says why instead


def squares_two_years(names: list[str], label: str = "SGB-II-Quote Kinder unter 15 Jahren") -> Dataset:
    """The three test squares with indicators of 2022 and 2024 (values chosen for hand-computed changes).

    sgb2: 10 → 12, 40 → 39, 16 → 16,02; unemployment: 4 → 4,02, 14 → 20, 6 → 6; single parents: 15 → 16,
    none → 35, 19 → 19. District 03 has 250 inhabitants in 2022 (below 300: protected).
    """
    import geopandas as gpd
    from shapely.geometry import box

    x0, y0 = 400_000.0, 5_700_000.0
    districts = gpd.GeoDataFrame(
        {settings.DISTRICT_ID: ["01", "02", "03"], settings.DISTRICT_NAME: names,
         settings.AREA_ID: ["1", "1", "2"], settings.AREA_NAME: ["Mitte", "Mitte", "Ost"]},
        geometry=[box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000) for i in range(3)], crs="EPSG:25832")
    indicators = pd.DataFrame({
        settings.DISTRICT_ID: ["01", "02", "03"] * 2,
        settings.YEAR: [2022] * 3 + [2024] * 3,
        settings.INHABITANTS: [1000, 2000, 250, 1000, 2000, 1500],
        settings.CHILDREN: [100, 250, 30, 100, 250, 80],
        "sgb2_children_quota": [10.0, 40.0, 16.0, 12.0, 39.0, 16.02],
        "unemployment_rate": [4.0, 14.0, 6.0, 4.02, 20.0, 6.0],
        "single_parent_share": [15.0, np.nan, 19.0, 16.0, 35.0, 19.0],
    })
    definitions = catalog.read_indicator_definitions()
    definitions.loc["sgb2_children_quota", "label"] = label
    offers = gpd.GeoDataFrame(
        {settings.OFFER_ID: ["F1"], settings.OFFER_TYPE: ["fgz"], settings.OFFER_NAME: ["FGZ"],
         settings.OFFER_ADDRESS: ["Weg 1"], settings.OFFER_CAPACITY: [None]},
        geometry=gpd.points_from_xy([x0 + 500], [y0 + 500]), crs="EPSG:25832")
    return Dataset(districts=districts, indicators=indicators, offers=offers, residents=None,
                   offer_types=catalog.read_offer_types(), indicator_definitions=definitions, source="Testdaten")


def test_hostile_names_and_labels_stay_text_in_every_layer():
    dataset = squares_two_years([XSS, "Süd", "Ost"], label=XSS)
    result = analyse(dataset)
    for variable in (DYNAMIC, OVERALL, CHANGE):
        m = leaflet.need_map(result, dataset, variable=variable,
                             change=ChangeChoice("sgb2_children_quota", 2022, 2024))
        page = m.get_root().render()
        assert XSS not in page and "<img src=x" not in page and "1337" not in page
        data = map_data.map_data(result, dataset, variable=variable,
                                 change=ChangeChoice("sgb2_children_quota", 2022, 2024))
        text = json.dumps(data, ensure_ascii=False)
        assert esc(XSS) in text  # the label and the name, escaped, as text
        assert "<img" not in text


# ------------------------------------------------------------------------------------------------ empty layer


def test_without_an_earlier_year_the_layers_are_offered_grey_and_say_why(demo):
    dataset, _ = demo
    one_year = dataset.with_layers(indicators=dataset.indicators[dataset.indicators[settings.YEAR] == 2024])
    result = analyse(one_year)
    assert not result.dynamics.computed
    choices = map_data.variables(result, one_year)
    assert DYNAMIC in choices and OVERALL in choices and CHANGE not in choices
    for variable in (DYNAMIC, OVERALL):
        data = map_data.map_data(result, one_year, variable=variable)
        assert set(fills(data)) == {NO_CLASS_COLOR}
        assert len(features_of(data["districts"])) == len(result.districts)  # drawn, not blank
        assert legend_count(data["legend"], "nicht klassifiziert (keine Dynamik berechnet)") == len(result.districts)
        assert "Kein Dynamikindex: kein früheres Jahr gespeichert" in data["legend"]
    data = map_data.map_data(result, one_year, variable=OVERALL)
    assert [int(n) for _, n in CELL.findall(data["legend"])] == [0] * 12


# -------------------------------------------------------------------------------------------------- change map


@pytest.mark.parametrize(("changes", "step"), [
    ([0.3, 0.8, 1.2], 1.0), ([3.0, 4.0], 5.0), ([2.0, 1.0, 0.02], 2.0), ([6.0, 0.02], 10.0), ([0.01], 1.0),
    ([], 1.0), ([0.12, 0.2, 0.3], 0.2), ([-24.0, 30.0], 50.0),
])
def test_change_step_is_a_round_number_above_the_median_change(changes, step):
    assert dynamics_map.change_step(np.array(changes)) == pytest.approx(step)


def test_change_classes_follow_the_direction():
    changes = np.array([3.0, -3.0, 1.0, -1.0, 0.01, np.nan])
    # higher = more need: a rise is worse (brown, class 0/1)
    assert dynamics_map.change_classes(changes, 1, 2.0).tolist() == [0, 4, 1, 3, 2, -1]
    # higher = less need: a rise is better
    assert dynamics_map.change_classes(changes, -1, 2.0).tolist() == [4, 0, 3, 1, 2, -1]


def test_change_map_of_a_hand_computed_table():
    dataset = squares_two_years(["Altstadt", "Südpark", "Über der Höhe"])
    result = analyse(dataset)
    assert CHANGE in map_data.variables(result, dataset)
    assert dynamics_map.change_indicators(dataset) == ["sgb2_children_quota", "unemployment_rate",
                                                       "single_parent_share"]
    data = map_data.map_data(result, dataset, variable=CHANGE, change=ChangeChoice("sgb2_children_quota", 2022, 2024))
    # +2 and −1 (03 is protected: 250 inhabitants in 2022); median 1,5 → bound 2
    assert fills(data) == [palette.DIVERGING[1], palette.DIVERGING[3], NO_CLASS_COLOR]
    legend = data["legend"]
    assert "Veränderung SGB-II-Quote Kinder unter 15 Jahren 2022–2024" in legend
    assert legend_count(legend, "Lage verschlechtert: um bis zu 2 Prozentpunkte") == 1
    assert legend_count(legend, "Lage verbessert: um bis zu 2 Prozentpunkte") == 1
    assert legend_count(legend, "unverändert (weniger als 0,05 Prozentpunkte)") == 0
    assert "Wert 2024 minus Wert 2022 in Prozentpunkten, höher = mehr Bedarf" in legend
    assert "weniger als 300 Einwohner (Datenschutz) (1)" in legend
    tips = [f["properties"]["tip"] for f in features_of(data["districts"])]
    assert "<td>2022</td><td>10,0\u00a0%</td>" in tips[0] and "<td>2024</td><td>12,0\u00a0%</td>" in tips[0]
    assert "+2,0\u00a0Prozentpunkte (Lage verschlechtert)" in tips[0]
    assert "−1,0\u00a0Prozentpunkte (Lage verbessert)" in tips[1]
    # the protected district shows neither its rates nor the change, only why
    assert "16,0" not in tips[2] and "<td>Veränderung</td><td>•</td>" in tips[2]
    assert "weniger als 300 Einwohner (Datenschutz)" in tips[2]

    data = map_data.map_data(result, dataset, variable=CHANGE, change=ChangeChoice("unemployment_rate", 2022, 2024))
    # +0,02 unchanged, +6 (bound 10) worse
    assert fills(data) == [palette.DIVERGING[2], palette.DIVERGING[1], NO_CLASS_COLOR]
    assert legend_count(data["legend"], "Lage verschlechtert: um bis zu 10 Prozentpunkte") == 1

    data = map_data.map_data(result, dataset, variable=CHANGE, change=ChangeChoice("single_parent_share", 2022, 2024))
    tips = [f["properties"]["tip"] for f in features_of(data["districts"])]
    assert fills(data)[1] == NO_CLASS_COLOR and "<td>ohne Veränderung, weil</td><td>kein Wert 2022</td>" in tips[1]


def test_the_default_change_runs_from_the_dynamik_base_year_to_the_analysis_year(demo):
    dataset, result = demo
    assert dynamics_map.default_change(result, dataset) == ChangeChoice("sgb2_children_quota", 2023, 2024)
    data = map_data.map_data(result, dataset, variable=CHANGE)
    counts = [legend_count(data["legend"], label) for label in dynamics_map.change_labels(
        dynamics_map.change_step(dynamics_map.change_values(result, dataset, ChangeChoice(
            "sgb2_children_quota", 2023, 2024)).change), "Prozentpunkte")]
    shown = dynamics_map.change_values(result, dataset, ChangeChoice("sgb2_children_quota", 2023, 2024))
    assert sum(counts) == int(np.isfinite(shown.change).sum())


# ----------------------------------------------------------------------------------------------- a real city


def test_a_city_with_two_german_csv_years_gets_all_three_layers(small_dataset, tmp_path):
    """Two yearly tables as a city's Excel writes them: semicolons, decimal commas, cp1252, ids without the
    leading zero, "-" for no data, the city's own indicator names."""
    migration, transfer = "Anteil Migrationshintergrund (%)", "Transferbezug (%)"
    city = small_dataset.with_layers(indicator_definitions=catalog.empty_indicator_definitions(),
                                     indicators=small_dataset.indicators.iloc[0:0])
    ws = Workspace(tmp_path / "stadt")
    files = {
        "stadt_2022.csv": (f"Sozialraum;Jahr;Einwohner;Kinder;{migration};{transfer}\n"
                           "1;2022;1.000;100;20,0;8\n2;2022;2.000;250;44,0;-\n3;2022;1.500;80;30;12\n"),
        "stadt_2024.csv": (f"Sozialraum;Jahr;Einwohner;Kinder;{migration};{transfer}\n"
                           "1;2024;1.000;100;20,5;8\n2;2024;2.000;250;45,0;22\n3;2024;1.500;80;31;12,5\n"),
    }
    data = city
    for name, text in files.items():
        options = {"indicators": parse_indicator_options([f"{migration}:+", f"{transfer}:+"])}
        check = check_upload(text.encode("cp1252"), name, kind="indicators", context=data, options=options)
        assert check.ok, [p.message for p in check.report.problems]
        commit_upload(ws, check, filename=name)
        stored = ws.dataset()
        data = city.with_layers(indicators=stored.indicators, indicator_definitions=stored.indicator_definitions,
                                stored_versions=stored.stored_versions, versions=stored.versions)
    assert data.years == [2022, 2024]
    result = analyse(data)
    assert result.dynamics.period == "2022–2024"
    # transfer has no 2022 value in district 2: too few complete districts? no – 1 and 3 are complete
    d = result.districts
    assert d["dynamic_reason"].iloc[1] == "kein Wert 2022: Transferbezug"
    for variable in (DYNAMIC, OVERALL):
        payload = map_data.map_data(result, data, variable=variable)
        assert len(features_of(payload["districts"])) == 3
        assert "kein Wert 2022: Transferbezug" in features_of(payload["districts"])[1]["properties"]["tip"]
    payload = map_data.map_data(result, data, variable=CHANGE,
                                change=ChangeChoice("anteil_migrationshintergrund", 2022, 2024))
    # +0,5, +1,0, +1,0 → median 1 → bound 1: all worse by up to 1 point
    assert fills(payload) == [palette.DIVERGING[1]] * 3
    assert legend_count(payload["legend"], "Lage verschlechtert: um bis zu 1 Prozentpunkt") == 3


# ------------------------------------------------------------------------------------------------------ page


def test_karte_page_offers_the_change_layers():
    at = open_page("app_pages/1_Karte.py", timeout=120)
    assert not at.exception
    variable = at.selectbox(key="karte_variable")
    # after the status index: Dynamik and Gesamtindex; after the indicators: the change of one
    assert variable.options[:3] == ["Statusindex (MSS)", "Dynamik (MSS)", "Gesamtindex (Status × Dynamik)"]
    assert variable.options[6] == "Veränderung eines Indikators"
    variable.set_value(OVERALL).run(timeout=120)
    assert not at.exception
    assert at.selectbox(key="karte_scheme").disabled
    variable = at.selectbox(key="karte_variable")
    variable.set_value(CHANGE).run(timeout=120)
    assert not at.exception
    assert at.selectbox(key="karte_change_key").value == "sgb2_children_quota"
    assert at.selectbox(key="karte_change_from").value == 2023
    assert at.selectbox(key="karte_change_to").value == 2024
    at.selectbox(key="karte_change_key").set_value("unemployment_rate").run(timeout=120)
    assert not at.exception
    assert at.selectbox(key="karte_change_from").options == ["2023"]


def test_karte_says_why_the_dynamik_layer_is_grey(practice):
    """A city with one stored year: the layer is offered, the map grey, the page says why."""
    one_year = practice.dataset().indicators
    practice.save("indicators", one_year[one_year[settings.YEAR] == 2024], filename="stadt_2024.csv")
    at = open_page("app_pages/1_Karte.py", timeout=120)
    at.selectbox(key="karte_variable").set_value(OVERALL).run(timeout=120)
    assert not at.exception
    infos = [i.value.replace("\\", "") for i in at.info]  # as shown: without the Markdown escapes of ui.md
    assert any(i.startswith("Keine Dynamik für 2024: ") and "Kein Dynamikindex: kein früheres Jahr gespeichert" in i
               and i.endswith("Die Karte zeigt alle Sozialräume als „nicht klassifiziert“.") for i in infos), infos
    assert "Veränderung eines Indikators" not in at.selectbox(key="karte_variable").options
    assert len(at.get("component_instance")) == 1  # the map is drawn


# ---------------------------------------------------------------------------------------------------- colours


def _lab(color: str) -> np.ndarray:
    """CIELAB (D65) of ``#rrggbb``: the ten-line reference of colour distance (CIE76 ΔE = Euclidean in Lab)."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_the_twelve_gesamtindex_colours_stay_apart_on_screen():
    """Each pair of the 12 colours, as drawn (82 % opacity over the map's background), differs by ΔE ≥ 10 (clearly
    visible side by side), and each from the grey of "nicht klassifiziert"; darker along status and dynamik."""
    background = "#eef0ec"

    def drawn(color: str) -> np.ndarray:
        return _lab(palette._mix(color, background, 0.18))

    colours = [c for row in palette.OVERALL_GRID for c in row] + [NO_CLASS_COLOR]
    labs = [drawn(c) for c in colours]
    distances = [np.linalg.norm(a - b) for i, a in enumerate(labs) for b in labs[i + 1:]]
    assert min(distances) >= 10
    lightness = np.array([[drawn(c)[0] for c in row] for row in palette.OVERALL_GRID])
    assert (np.diff(lightness, axis=1) < 0).all() and (np.diff(lightness, axis=0) < 0).all()
    assert len(set(palette.OVERALL_COLORS.values())) == 12


def test_the_offline_file_carries_the_grid_and_its_style(demo):
    dataset, result = demo
    page = leaflet.standalone_html(leaflet.need_map(result, dataset, variable=OVERALL))
    # the table (inside the inert JSON payload, "<" written as \u003c) and its stylesheet, inlined
    assert page.count("\\u003ctd class='pa-gv") == 12 and ".pa-grid td.pa-gv" in page
    assert 'className: "pa-attention"' in page  # atlas.js, which draws the attention outline, inlined too
