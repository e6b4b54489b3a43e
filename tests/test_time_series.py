"""A district's history: time series with the city average, trend arrows, hidden values, Dynamik in the Steckbrief.

The fixture: :func:`tests.export_cases.small_case` (D1–D4) with three years 2022–2024 of the SGB-II quota,
unemployment and single parents. Inhabitants: D1 500, D2 600, D3 700 (200 in 2023), D4 100 (400 in 2023).

By hand:

- D4 has 100 inhabitants in 2024, the analysis year: not classified, so its values are "•" in *every* year,
  also in 2023 when it had 400.
- D3 has 200 inhabitants in 2023: not classified that year, its 2023 values are "•"; 2022 and 2024 are shown.
- City average of the SGB-II quota over the shown values, weighted with that year's inhabitants:
  2022 (D1, D2, D3): (500·12 + 600·18 + 700·44) / 1800 = 47600 / 1800 = 26.44;
  2023 (D1, D2): (500·11 + 600·19) / 1100 = 16900 / 1100 = 15.36;
  2024 (D1, D2, D3): (500·10 + 600·20 + 700·40) / 1800 = 45000 / 1800 = 25.00.
- Trend 2022 → 2024 (the Dynamik period: base year = 2024 − 2): D1 −2 "↓ −2,0" (less need: Lage verbessert),
  D2 +2 "↑ +2,0", D3 −4 "↓ −4,0", D4 "•"; single parents of D1 15 → 15.02: "→" (below 0.05).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from app_pages._shared import md as ui_md
from geo import demo, settings
from geo.analysis import Params, analyse
from geo.analysis.history import CityHistory, chart_frame, trend_cell, trend_help
from geo.analysis.need import status_index
from geo.analysis.profile import district_profile
from geo.analysis.trends import city_average
from geo.formatting import format_number
from geo.render.tables import protected_district_table, screen_table
from geo.render.trend_tables import with_trend
from tests.export_cases import RADIUS, small_case

MINUS = "\u2212"
IDS = ["D1", "D2", "D3", "D4"]
SGB2 = {"D1": [12, 11, 10], "D2": [18, 19, 20], "D3": [44, 42, 40], "D4": [6, 5, 5]}
UNEMPLOYMENT = {"D1": [4, 4, 4], "D2": [8, 8.5, 9], "D3": [14, 13, 12], "D4": [3, 3, 3]}
SINGLE = {"D1": [15, 15, 15.02], "D2": [20, 21, 22], "D3": [30, 31, 33], "D4": [10, 10, 10]}
INHABITANTS = {"D1": [500] * 3, "D2": [600] * 3, "D3": [700, 200, 700], "D4": [100, 400, 100]}
YEARS = (2022, 2023, 2024)


def three_years() -> pd.DataFrame:
    rows = []
    for i, year in enumerate(YEARS):
        for d in IDS:
            rows.append({settings.DISTRICT_ID: d, settings.YEAR: year, settings.INHABITANTS: INHABITANTS[d][i],
                         settings.CHILDREN: 50, "sgb2_children_quota": SGB2[d][i],
                         "unemployment_rate": UNEMPLOYMENT[d][i], "single_parent_share": SINGLE[d][i]})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def case():
    dataset = small_case().with_layers(indicators=three_years())
    return dataset, analyse(dataset, Params(radii={"fgz": RADIUS}))


def test_city_average_is_weighted_with_the_inhabitants_of_the_shown_districts(case):
    dataset, result = case
    history = CityHistory(dataset, result)
    assert history.years == YEARS
    assert history.shown.loc["D3"].tolist() == [True, False, True]
    assert history.shown.loc["D4"].tolist() == [False, False, False]  # not classified in 2024: every year
    city = history.city("sgb2_children_quota")
    assert city.tolist() == pytest.approx([47600 / 1800, 16900 / 1100, 45000 / 1800])
    # the same definition as trends.city_average: the 2024 figure of every district is not the protected one
    everyone = city_average(three_years(), "sgb2_children_quota")
    assert everyone[2024] == pytest.approx((5000 + 12000 + 28000 + 500) / 1900)


def test_series_of_a_district_with_hidden_years(case):
    dataset, result = case
    h = CityHistory(dataset, result).district("D3")
    assert [s.key for s in h.series] == ["status_index", "sgb2_children_quota", "unemployment_rate",
                                         "single_parent_share"]
    sgb2 = h.get("sgb2_children_quota")
    assert sgb2.codes == ("", "•", "")
    assert sgb2.values[[0, 2]].tolist() == [44.0, 40.0] and np.isnan(sgb2.values[1])
    frame = chart_frame(sgb2)  # the hidden year is a gap in the district's line, not a zero
    assert frame[frame["Reihe"] == "Sozialraum"]["Jahr"].tolist() == [2022, 2024]
    assert frame[frame["Reihe"] == "Stadtdurchschnitt"]["Jahr"].tolist() == [2022, 2023, 2024]
    d4 = CityHistory(dataset, result).district("D4")
    assert all(code == "•" for s in d4.series for code in s.codes)
    assert d4.get("status_index").classes == ("nicht klassifiziert",) * 3


def test_status_index_of_each_year_is_the_analysis_of_that_year(case):
    dataset, result = case
    status = CityHistory(dataset, result).district("D2").get("status_index")
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert status.value(2024) == pytest.approx(d.at["D2", "status_index"])
    rows_2023 = three_years().query("year == 2023").reset_index(drop=True)
    by_hand = status_index(rows_2023, definitions=dataset.indicator_definitions, weights=result.weights)
    assert status.value(2023) == pytest.approx(by_hand["status_index"].iloc[1])
    assert status.classes[1] == by_hand["status_class"].iloc[1]
    # and the full analysis of 2023 gives the same number
    other = analyse(dataset, Params(year=2023, radii={"fgz": RADIUS})).districts.set_index(settings.DISTRICT_ID)
    assert status.value(2023) == pytest.approx(other.at["D2", "status_index"])


@pytest.mark.parametrize(("change", "direction", "cell"), [
    (2.1, 1, "↑ +2,1"), (-0.8, 1, f"↓ {MINUS}0,8"), (0.04, 1, "→"), (float("nan"), 1, ""), (-3.0, -1, f"↓ {MINUS}3,0"),
])
def test_trend_cells(change, direction, cell):
    assert trend_cell(change, direction) == cell


def test_trend_help_says_what_the_arrows_mean():
    assert trend_help(1, "%", 2022, 2024) == (
        "Veränderung 2022–2024 in Prozentpunkten. ↑ = Wert gestiegen: Lage verschlechtert; ↓ = Wert gesunken: "
        "Lage verbessert; → = unverändert. • = aus Datenschutzgründen nicht ausgewiesen.")
    assert "↑ = Wert gestiegen: Lage verbessert" in trend_help(-1, "", 2022, 2024)


def test_trend_column_in_the_district_table(case):
    dataset, result = case
    table = screen_table(protected_district_table(result, offer_types=dataset.offer_types,
                                                  indicator_definitions=dataset.indicator_definitions))
    history = CityHistory(dataset, result)
    after = "SGB-II-Quote Kinder unter 15 Jahren (%)"
    out, column = with_trend(table, history, "sgb2_children_quota", 2022, 2024, after=after)
    assert column.name == "SGB-II-Quote Kinder unter 15 Jahren: Trend 2022–2024"
    assert list(out.columns).index(column.name) == list(out.columns).index(after) + 1
    assert dict(zip(out["Sozialraum-Nr."], out[column.name], strict=True)) == {
        "D1": f"↓ {MINUS}2,0", "D2": "↑ +2,0", "D3": f"↓ {MINUS}4,0", "D4": "•"}
    assert list(table.columns) == [c for c in out.columns if c != column.name]  # the input is not changed
    out, _ = with_trend(table, history, "single_parent_share", 2022, 2024)
    assert out.iloc[:, -1].tolist()[0] == "→"


def test_steckbrief_sections_dynamik_trend_and_time_series(case):
    dataset, result = case
    profile = district_profile(dataset, result, "D2")
    assert [s.key for s in profile.sections][:4] == ["kennzahlen", "dynamik", "indikatoren", "zeitreihe"]
    d = result.districts.set_index(settings.DISTRICT_ID)
    facts = dict(profile.section("dynamik").tables[0].rows)
    assert facts["Zeitraum"] == "2022–2024"
    assert facts["Dynamikklasse"] == d.at["D2", "dynamic_class"]
    assert list(facts) == ["Zeitraum", "Dynamikklasse", "Dynamikindex", "Gesamtindex", "Gesamtindex-Code (MSS)",
                           "Besonderer Aufmerksamkeitsbedarf"]  # the changes themselves: the trend column
    assert facts["Gesamtindex"] == d.at["D2", "overall_class"] and facts["Gesamtindex-Code (MSS)"] == d.at[
        "D2", "overall_code"]
    indicators = profile.section("indikatoren").tables[0]
    assert indicators.columns[-1] == "Trend 2022–2024"
    assert [r[-1] for r in indicators.rows] == ["↑ +2,0", "↑ +1,0", "↑ +2,0"]
    series = profile.section("zeitreihe")
    assert [t.caption for t in series.tables] == ["Statusindex", "SGB-II-Quote Kinder unter 15 Jahren (%)",
                                                  "Arbeitslosenquote (%)", "Anteil Alleinerziehender (%)"]
    assert series.tables[1].columns == ("Jahr", "Sozialraum", "Stadtdurchschnitt", "Abweichung")
    assert series.tables[1].rows == (("2022", "18,0", "26,4", f"{MINUS}8,4"), ("2023", "19,0", "15,4", "+3,6"),
                                     ("2024", "20,0", "25,0", f"{MINUS}5,0"))
    hidden = district_profile(dataset, result, "D4")
    dynamic = dict(hidden.section("dynamik").tables[0].rows)
    assert (dynamic["Dynamikklasse"], dynamic["Dynamikindex"]) == ("nicht klassifiziert", "–")
    assert dynamic["Ohne Dynamikklasse, weil"] == "weniger als 300 Einwohner"
    assert all(row[1] == "•" and row[3] == "•" for row in hidden.section("zeitreihe").tables[1].rows)
    assert [r[-1] for r in hidden.section("indikatoren").tables[0].rows] == ["•"] * 3


def test_one_stored_year_says_so_instead_of_a_chart(small_dataset):
    result = analyse(small_dataset, Params(radii={"fgz": 800.0}))
    profile = district_profile(small_dataset, result, "02")
    series = profile.section("zeitreihe")
    assert series.tables == ()
    assert series.note.startswith("Für diese Daten ist nur ein Indikatorjahr gespeichert (2024): noch keine "
                                  "Zeitreihe.")
    assert profile.section("dynamik").note.startswith("Keine Dynamik für diesen Datenstand.")
    assert profile.section("indikatoren").tables[0].columns[-1] == "Höherer Wert bedeutet"  # no trend column


# --------------------------------------------------------------------------------------- a city's own files

CITY_2023 = ("Sozialraum;Jahr;Einwohner;Kinder;Transferbezug (%);Anteil Migrationshintergrund (%)\n"
             "1;2023;1.000;100;9,5;20\n2;2023;2.000;250;20;44\n3;2023;1.500;80;12;29\n").encode("cp1252")
#: The next year's table: ids with their leading zero, the official no-data code "-" for district 3's transfer.
CITY_2025 = ("Sozialraum;Jahr;Einwohner;Kinder;Transferbezug (%);Anteil Migrationshintergrund (%)\n"
             "01;2025;1.000;100;8;21\n02;2025;2.000;250;23,5;45\n03;2025;1.500;80;-;30\n").encode("cp1252")


def test_a_city_with_its_own_indicators_ids_and_no_data_codes(small_dataset, tmp_path):
    from geo import catalog
    from geo.ingest import check_upload, commit_upload, parse_indicator_options
    from geo.store import Workspace

    ws = Workspace(tmp_path / "stadt")
    city = small_dataset.with_layers(indicator_definitions=catalog.empty_indicator_definitions(),
                                     indicators=small_dataset.indicators.iloc[0:0])
    options = {"indicators": parse_indicator_options(["Transferbezug (%):+", "Anteil Migrationshintergrund (%):+"])}
    for name, data in (("stadt_2023.csv", CITY_2023), ("stadt_2025.csv", CITY_2025)):
        check = check_upload(data, name, kind="indicators", context=city, options=options)
        assert check.ok, [p.message for p in check.report.problems]
        commit_upload(ws, check, filename=name)
        stored = ws.dataset()
        city = city.with_layers(indicators=stored.indicators, indicator_definitions=stored.indicator_definitions,
                                stored_versions=stored.stored_versions, versions=stored.versions)
        options = {}
    assert city.years == [2023, 2025]
    result = analyse(city, Params(radii={"fgz": 800.0}))
    assert result.dynamics.period == "2023–2025"  # no 2024 stored: the latest earlier year
    history = CityHistory(city, result)
    transfer = history.district("02").get("transferbezug")
    assert transfer.label == "Transferbezug" and transfer.values.tolist() == [20.0, 23.5]
    # district 3 lacks a 2025 value ("-"): not classified in 2025, so hidden in 2023 too, and out of both averages:
    # 2023 (1000·9.5 + 2000·20) / 3000 = 16.5; 2025 (1000·8 + 2000·23.5) / 3000 = 18.33
    assert transfer.city.tolist() == pytest.approx([49500 / 3000, 55000 / 3000])
    rows = district_profile(city, result, "03").section("zeitreihe").tables[1].rows
    assert [r[:2] for r in rows] == [("2023", "•"), ("2025", "keine Angabe")]
    trend = dict((r[0], r[-1]) for r in district_profile(city, result, "02").section("indikatoren").tables[0].rows)
    assert trend == {"Transferbezug": "↑ +3,5", "Anteil Migrationshintergrund": "↑ +1,0"}


# ----------------------------------------------------------------------------------------------- the page

def test_steckbrief_page_shows_the_dynamik_and_the_time_series():
    from tests.test_profile_print import open_page_with

    at = open_page_with("0108")
    assert not at.exception, at.exception
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert headings[:4] == ["#### Kennzahlen", "#### Dynamik", "#### Indikatoren", "#### Zeitreihe"]
    dataset = demo.load_demo()
    result = analyse(dataset)
    row = result.districts.set_index(settings.DISTRICT_ID).loc["0108"]
    facts = dict(pd.concat([at.table[2].value, at.table[3].value]).itertuples(index=False, name=None))
    assert facts["Zeitraum"] == "2023–2024"
    assert facts["Dynamikklasse"] == row["dynamic_class"]
    assert facts["Gesamtindex"] == ui_md(row["overall_class"])
    assert at.selectbox(key="steckbrief_reihe").value == "sgb2_children_quota"
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["y"]["title"] == "%"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Sozialraum", "Stadtdurchschnitt"]
    assert spec["config"]["locale"]["number"]["decimal"] == ","  # German numbers on the axis and in tooltips
    data = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()
    stored = dataset.indicators[dataset.indicators[settings.DISTRICT_ID] == "0108"].sort_values(settings.YEAR)
    mine = data[data["Reihe"] == "Sozialraum"]
    assert mine["Jahr"].tolist() == [2023, 2024]
    assert mine["Wert"].tolist() == pytest.approx(stored["sgb2_children_quota"].tolist())
    city = CityHistory(dataset, result).city("sgb2_children_quota")
    assert data[data["Reihe"] == "Stadtdurchschnitt"]["Wert"].tolist() == pytest.approx(city.tolist())
    table = at.table[5].value
    assert table["Jahr"].tolist() == ["2023", "2024"]
    assert table["Sozialraum"].tolist() == [ui_md(format_number(v, 1)) for v in stored["sgb2_children_quota"]]
    assert any("Zeitreihe SGB" in c.value for c in at.caption)

    at.selectbox(key="steckbrief_reihe").select("status_index").run()
    assert not at.exception
    status = at.table[5].value
    assert status.columns.tolist() == ["Jahr", "Statusindex", "Statusklasse"]
    assert status["Statusklasse"].tolist()[-1] == row["status_class"]


def test_analyse_page_has_a_trend_column_per_status_indicator():
    from tests.apptest import open_page

    at = open_page("app_pages/2_Analyse.py", timeout=120)
    assert not at.exception, at.exception
    (table,) = [f.value for f in at.dataframe if "Arbeitslosenquote: Trend 2023–2024" in f.value.columns]
    names = ["SGB-II-Quote Kinder unter 15 Jahren: Trend 2023–2024", "Arbeitslosenquote: Trend 2023–2024",
             "Anteil Alleinerziehender: Trend 2023–2024"]
    assert [c for c in table.columns if "Trend" in c] == names
    columns = list(table.columns)
    assert columns.index(names[0]) == columns.index("SGB-II-Quote Kinder unter 15 Jahren (%)") + 1
    stored = demo.load_demo().indicators.set_index([settings.DISTRICT_ID, settings.YEAR])["sgb2_children_quota"]
    change = stored[("0101", 2024)] - stored[("0101", 2023)]
    row = table[table["Sozialraum-Nr."] == "0101"].iloc[0]
    assert row[names[0]] == trend_cell(change, 1) and row[names[0]][0] in "↑↓→"
    assert any(c.value.startswith("Trend 2023–2024: ↑ Wert gestiegen") for c in at.caption)
