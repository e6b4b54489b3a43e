"""Small numbers on screen: the pages and the web map protect exactly what the exported result table protects.

The case is :func:`tests.export_cases.small_case` with the indicators turned round, so the smallest district is the
one in need, and D4 grown to 250 inhabitants (still under the 300 needed for a class):

=====  ===========  ========  ===================  ================  ==================================
id     inhabitants  children  without reach (FGZ)  status            shown
=====  ===========  ========  ===================  ================  ==================================
D1     500          2         2 (share 0)          niedrig, a gap    children "< 3", without "< 3", share •
D2     600          100       2 (share 98 %)       mittel            without "< 3", share •
D3     700          50        49 (1 in reach)      hoch              without •, share •
D4     250          40        40 (share 0)         not classified    index •, share 0 % shown
=====  ===========  ========  ===================  ================  ==================================
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from geo import catalog, settings
from geo.analysis import column
from geo.analysis.protect import (
    HIDDEN,
    HIDDEN_REASON,
    SMALL,
    district_codes,
    indicator_columns,
    protected_sum,
    reach_codes,
)
from geo.export import csv_bytes, html_bytes
from geo.render.tables import screen_table
from geo.render.web import map_data
from geo.render.web.leaflet import script_json
from geo.render.web.payload import features_of
from tests.apptest import open_page
from tests.export_cases import small_case, small_result

TIMEOUT = 120
IDS = ["D1", "D2", "D3", "D4"]


def protection_case():
    dataset = small_case()
    indicators = dataset.indicators.copy()
    indicators["inhabitants"] = [500, 600, 700, 250]
    # D1 the most deprived, D3 the least (the small case has it the other way round)
    indicators[["sgb2_children_quota", "unemployment_rate", "single_parent_share"]] = [
        [40.0, 14.0, 30.0], [20.0, 8.0, 20.0], [10.0, 4.0, 15.0], [5.0, 3.0, 10.0],
    ]
    return dataset.with_layers(indicators=indicators)


@pytest.fixture(scope="module")
def case():
    dataset = protection_case()
    return dataset, small_result(dataset)


def exported(dataset, result) -> pd.DataFrame:
    """The export CSV as German Excel reads it, every cell as text."""
    return pd.read_csv(io.BytesIO(csv_bytes(dataset, result)), sep=";", encoding="utf-8-sig", dtype=str,
                       keep_default_na=False).set_index("Sozialraum-Nr.")


def test_the_case_is_what_the_table_says(case):
    _, result = case
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert d["status_class"].tolist() == ["Status niedrig", "Status mittel", "Status hoch", "nicht klassifiziert"]
    assert d[column("without_reach", "fgz")].tolist() == [2, 2, 49, 40]
    assert d[column("gap", "fgz")].tolist() == [True, False, False, False]


# --- the web map's payload ----------------------------------------------------------------------------------------

def tooltip_cells(tip: str) -> dict[str, str]:
    return dict(re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", tip))


def code_of(cell: str) -> str:
    """The protection code a displayed cell carries ("" for a number)."""
    cell = re.sub(r"<span.*", "", cell).strip().replace("&lt;", "<")
    return cell if cell in (SMALL, HIDDEN) else ""


@pytest.mark.parametrize("variable", [map_data.STATUS, "sgb2_children_quota", column("share_in_reach", "fgz")])
def test_map_tooltips_protect_exactly_what_the_csv_protects(case, variable):
    dataset, result = case
    scheme = "mss" if variable == map_data.STATUS else "quantiles"
    data = map_data.map_data(result, dataset, variable=variable, scheme=scheme)
    tips = [tooltip_cells(f["properties"]["tip"]) for f in features_of(data["districts"])]
    csv = exported(dataset, result)
    pairs = {"Einwohner": "Einwohner", "Kinder 0–17": "Kinder 0–17", "Statusindex": "Statusindex",
             "FGZ (600 m)": "FGZ: Kinder in Reichweite (%)"}
    for district, tip in zip(IDS, tips, strict=True):
        for tip_row, csv_column in pairs.items():
            assert code_of(tip[tip_row]) == code_of(csv.loc[district, csv_column]), (district, tip_row)
    # hand-checked: what is hidden, and that normal values are unchanged
    assert [t["Kinder 0–17"] for t in tips] == ["&lt; 3", "100", "50", "40"]
    assert [t["Einwohner"] for t in tips] == ["500", "600", "700", "250"]
    assert [code_of(t["FGZ (600 m)"]) for t in tips] == [HIDDEN, HIDDEN, HIDDEN, ""]
    assert tips[3]["FGZ (600 m)"] == "0 %" and tips[3]["Statusindex"] == HIDDEN
    assert re.fullmatch(r"\+1,\d\d", tips[0]["Statusindex"])  # D1 is classified: its index is shown
    assert "Lücke" in tips[0]["FGZ (600 m)"]  # the gap flag is shown, as in the CSV ("ja")
    assert csv.loc["D1", "FGZ: Versorgungslücke"] == "ja"
    assert "„&lt; 3“ = 1 oder 2 Personen" in data["legend"]


def test_an_unclassified_district_hides_every_indicator_also_outside_the_index():
    dataset = protection_case()
    indicators = dataset.indicators.copy()
    indicators["kita_quote"] = [91.0, 85.5, 70.0, 64.0]  # a city's indicator that is not in the status index
    dataset = dataset.with_layers(indicators=indicators)
    result = small_result(dataset)
    assert "kita_quote" in result.districts and "kita_quote" not in result.weights
    assert indicator_columns(result) == [*result.weights, "kita_quote"]
    codes = district_codes(result).set_index(result.districts[settings.DISTRICT_ID])
    assert codes["kita_quote"].tolist() == ["", "", "", HIDDEN]  # D4 has 250 inhabitants: not classified
    assert codes["sgb2_children_quota"].tolist() == ["", "", "", HIDDEN]
    assert codes[settings.INHABITANTS].tolist() == ["", "", "", ""]  # counts follow rule 1 only


def test_map_classes_leave_suppressed_values_out(case):
    dataset, result = case
    share = map_data.map_data(result, dataset, variable=column("share_in_reach", "fgz"), scheme="quantiles")
    fills = [f["properties"]["fill"] for f in features_of(share["districts"])]
    assert fills[:3] == [map_data.HIDDEN_COLOR] * 3 and fills[3] != map_data.HIDDEN_COLOR
    assert "nicht ausgewiesen (Datenschutz) <span class='pa-n'>(3)</span>" in share["legend"]
    quota = map_data.map_data(result, dataset, variable="sgb2_children_quota", scheme="quantiles")
    fills = [f["properties"]["fill"] for f in features_of(quota["districts"])]
    assert fills[3] == map_data.NO_CLASS_COLOR and len(set(fills[:3])) == 3  # D4's rate is in no class
    tip = tooltip_cells(features_of(quota["districts"])[3]["properties"]["tip"])
    assert tip["SGB-II-Quote Kinder unter 15 Jahren"] == HIDDEN
    assert tooltip_cells(features_of(quota["districts"])[0]["properties"]["tip"])[
        "SGB-II-Quote Kinder unter 15 Jahren"] == "40,0 %"


def _page_tips(page: str) -> str:
    """The district tooltips of the map payload in ``page`` (script_json's escapes are JSON), joined as the map
    script joins them."""
    data = json.JSONDecoder().raw_decode(page[page.index("var data = ") + len("var data = "):])[0]
    return "".join(f["properties"]["tip"] for f in features_of(data["districts"]))


def test_offline_html_holds_no_suppressed_figure(case):
    dataset, result = case
    page = html_bytes(dataset, result).decode("utf-8")
    tips = _page_tips(page)

    assert "<td>Kinder 0–17</td><td>&lt; 3</td>" in tips and "<td>Kinder 0–17</td><td>100</td>" in tips
    assert "<td>Statusindex</td><td>•</td>" in tips
    assert f"{100 * result.districts[column('share_in_reach', 'fgz')].iloc[2]:.0f} %" == "2 %"  # D3, unprotected
    assert "<td>FGZ (600 m)</td><td>2 %</td>" not in tips and "<td>FGZ (600 m)</td><td>0 %</td>" in tips
    assert script_json("2 %") not in page  # nor anywhere else in the page


# --- shared helpers ----------------------------------------------------------------------------------------------

def test_protected_sum_leaves_codes_out():
    total = protected_sum(pd.Series([SMALL, 49.0, HIDDEN, 40], dtype=object))
    assert (total.value, total.left_out) == (89.0, 2)
    assert protected_sum(pd.Series([], dtype=object)) == type(total)(0.0, 0)


def test_screen_table_keeps_small_visible_and_blanks_hidden():
    table = pd.DataFrame({"a": pd.Series([SMALL, 100, 1500.5, None], dtype=object),
                          "b": pd.Series([HIDDEN, 1.5, 2, None], dtype=object),
                          "c": ["x", "•", "y", "z"], "d": [1, 2, 3, 4]})
    out = screen_table(table)
    assert out["a"].tolist() == [SMALL, "100", "1.500,5", ""]
    assert pd.api.types.is_float_dtype(out["b"]) and np.isnan(out["b"][0]) and out["b"][1] == 1.5
    assert out["c"].tolist() == ["x", "•", "y", "z"] and out["d"].tolist() == [1, 2, 3, 4]


# --- the pages -----------------------------------------------------------------------------------------------------

@pytest.fixture
def stored_case(data_root):
    """The case stored as the app's default workspace (all four layers), so every page shows it."""
    from geo.store import create_workspace

    dataset = protection_case()
    workspace = create_workspace("Testfall")
    for layer in ("districts", "indicators", "offers", "residents"):
        workspace.save(layer, getattr(dataset, layer), filename=f"{layer}.csv")
    # the case's FGZ is measured for all children 0–17 within its radius (see tests/export_cases.py)
    workspace.save("offer_types", catalog.offer_types_table(dataset.offer_types), filename="angebotsarten.csv")
    stored = workspace.dataset()
    return stored, small_result(stored)


def texts(at) -> str:
    return "\n".join(str(e.value).replace("\\", "") for kind in ("markdown", "caption", "warning", "info")
                     for e in at.get(kind))


def fgz_radius(at) -> None:
    at.sidebar.number_input(key="pa_r_fgz").set_value(600).run(timeout=TIMEOUT)
    assert not at.exception, at.exception


def test_overview_shows_protected_figures(stored_case):
    at = open_page(None, timeout=TIMEOUT)
    fgz_radius(at)
    metrics = {m.label: m for m in at.metric}
    # D1, the only district in need, has 2 children: left out of the total like on the report cover
    in_need = metrics["Kinder in Sozialräumen mit hohem Bedarf"]
    assert in_need.value == "0"
    assert "ohne 1 Sozialraum, dessen Wert aus Datenschutzgründen nicht ausgewiesen wird" in in_need.help
    assert metrics["FGZ"].value == "–"  # its share in reach is suppressed; unprotected it read "0 %" of 2 children
    shown = texts(at)
    assert "0 % aller 190 Kinder · 1 von 4 Sozialräumen haben hohen Bedarf (ohne 1 Sozialraum" in shown
    # the top-gap list beside the map: the count protected, the reason (protected too) in the entry's help
    entry = next(e for e in at.get("page_link") if "Nordhof" in e.proto.label)
    assert entry.proto.label.replace("\\", "") == f"1. Nordhof – FGZ · {SMALL} Kinder ohne Angebot in Reichweite"
    assert entry.proto.help.replace("\\", "") == f"Steckbrief öffnen: {HIDDEN_REASON}"
    assert "2 Kinder" not in shown


def test_analysis_page_shows_codes_exactly_where_the_csv_does(stored_case):
    dataset, result = stored_case
    at = open_page("app_pages/2_Analyse.py", timeout=TIMEOUT)
    fgz_radius(at)
    gaps = at.dataframe[0].value
    assert gaps["Sozialraum"].tolist() == ["Nordhof"]
    row = gaps.iloc[0]
    assert row["Kinder ohne Angebot in Reichweite"] == SMALL and row["Kinder 0–17"] == SMALL
    assert np.isnan(row["In Reichweite (%)"]) and np.isnan(row["Medianweg (m)"])
    assert row["Begründung"] == HIDDEN_REASON
    assert "**1** Zeilen · **1** Versorgungslücken · **0** Kinder in Versorgungslücken ohne Angebot in Reichweite " \
           "(ohne 1 Zeile mit geschützter Zahl)" in "\n".join(m.value for m in at.markdown)

    table = at.dataframe[1].value.set_index("Sozialraum-Nr.")
    csv = exported(dataset, result)
    assert list(table.columns) == list(csv.columns) and list(table.index) == IDS
    for district in IDS:
        for name in csv.columns:
            page, published = table.loc[district, name], csv.loc[district, name]
            if published == SMALL:
                assert page == SMALL, (district, name)
            elif published == HIDDEN:
                assert page == HIDDEN or page is None or pd.isna(page), (district, name)  # "•" or empty
            else:
                assert page not in (SMALL, HIDDEN) and not (published != "" and pd.isna(page)), (district, name)
    assert table.loc["D2", "FGZ: Kinder ohne Angebot in Reichweite"] == SMALL
    assert table["Kinder 0–17"].tolist() == [SMALL, "100", "50", "40"]  # normal values unchanged
    assert table["Einwohner"].tolist() == [500, 600, 700, 250]
    assert pd.isna(table.loc["D4", "Statusindex"]) and table.loc["D4", "FGZ: Kinder in Reichweite (%)"] == 0


def test_upload_preview_analysis_is_protected(stored_case):
    dataset, _ = stored_case
    rows = dataset.indicators.assign(unemployment_rate=dataset.indicators["unemployment_rate"] + 0.5)
    lines = ["Nr;Jahr;Einwohner;Kinder;sgb2_children_quota;unemployment_rate;single_parent_share"] + [
        f"{r.district_id};{r.year};{r.inhabitants};{r.children};{r.sgb2_children_quota};{r.unemployment_rate};"
        f"{r.single_parent_share}".replace(".", ",") for r in rows.itertuples()
    ]
    at = open_page("app_pages/3_Daten.py", timeout=TIMEOUT)
    at.radio(key="up_kind").set_value("indicators").run(timeout=TIMEOUT)
    at.file_uploader(key="up_file_indicators").upload("ind.csv", "\n".join(lines).encode()).run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    sent = [json.loads(e.proto.json_args)["script"] for e in at.get("component_instance")]  # what st_folium sends
    assert len(sent) == 2  # the status map before and with the file
    for args in sent:
        tips = _page_tips(args)
        assert "<td>Kinder 0–17</td><td>&lt; 3</td>" in tips  # D1's 2 children
        assert "<td>Statusindex</td><td>•</td>" in tips  # D4: 250 inhabitants
        assert "<td>Kinder 0–17</td><td>2</td>" not in tips


def test_methods_page_totals_leave_small_counts_out(stored_case):
    at = open_page("app_pages/6_Methodik.py", timeout=TIMEOUT)
    fgz_radius(at)
    shown = texts(at)
    assert ("4 Sozialräume, 190 Kinder und Jugendliche von 0 bis 17 Jahren (ohne 1 Sozialraum mit geschützter "
            "Zahl).") in shown
    assert "192 Kinder" not in shown  # the sum with D1's 2 children would give them back


def test_an_estimated_fractional_target_group_counts_in_whole_people() -> None:
    # 4/18 of 24,000 children 0–17 = 5,333.33 children 6–10; 5,333 of them out of reach: nobody is in reach,
    # which is not a small group to hide; 5,331.33 with 5,329 out of reach leaves 2 in reach: hidden
    codes = reach_codes(np.array([5333.33, 5331.33]), np.array([5333.0, 5329.0]), threshold=3)
    assert list(codes.share) == ["", HIDDEN]
    assert list(codes.without) == ["", HIDDEN]
    assert list(codes.children) == ["", ""]
