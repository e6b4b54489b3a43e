"""The Präventionskette: the Ketten-Matrix cell by cell on a hand-made result, its texts, sorting and exports.

The fixture is a result written by hand (not computed), so every figure below is known without running a reach
model: four districts, four analysed offer types in three life phases (Kita with two types), one district without
children and one with only two births.
"""

from __future__ import annotations

import io
import re
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import catalog, settings
from geo.analysis import Result, column
from geo.analysis.chain import (
    MISSING,
    NO_TARGET,
    PROTECTED,
    REACHED,
    chain_matrix,
    most_missing_text,
    rule_text,
)
from geo.dataset import Dataset
from geo.render import chain_tables
from geo.render.web.payload import features_of
from tests.conftest import xy

IDS = ["01", "02", "03", "04"]
NAMES = ["Altstadt", "Südpark", "Über der Höhe", "Hafen"]
STATUS = ["Status hoch", "Status sehr niedrig", "Status niedrig", "Status mittel"]
NAN = float("nan")
#: offer type → (target per district, share in reach per district)
REACH = {
    "lotsendienst": ([30, 40, 0, 2], [1.0, 0.25, NAN, 0.5]),
    "familienbuero": ([100, 120, 0, 50], [0.8, 0.5, NAN, 0.1]),
    "familienzentrum": ([90, 110, 0, 40], [0.2, 0.3, NAN, 0.95]),
    "kita_sozialarbeit": ([90, 110, 0, 40], [0.4, 0.1, NAN, 0.5]),
}


def hand_result(names: list[str] = NAMES) -> Result:
    """The hand-made result: per type ``target``, ``share_in_reach``, ``without_reach`` and ``gap``."""
    d = gpd.GeoDataFrame(
        {settings.DISTRICT_ID: IDS, settings.DISTRICT_NAME: names, "status_class": STATUS,
         "classified": True, "status_index": [-1.2, 2.1, 1.1, 0.3],
         settings.INHABITANTS: [1000, 2000, 500, 800], settings.CHILDREN: [120, 150, 0, 60]},
        geometry=[box(*xy(1000 * i, 0), *xy(1000 * (i + 1), 1000)) for i in range(4)], crs="EPSG:25832",
    )
    in_need = d["status_class"].isin(["Status niedrig", "Status sehr niedrig"]).to_numpy()
    for t, (target, share) in REACH.items():
        target, share = np.array(target, float), np.array(share, float)
        d[column("target", t)] = target
        d[column("share_in_reach", t)] = share
        d[column("without_reach", t)] = np.round(target * (1 - share))
        d[column("median_distance_m", t)] = 100.0
        d[column("offers_inside", t)] = 1
        d[column("gap", t)] = in_need & (share < 0.5)
    return Result(districts=d, gaps=pd.DataFrame(), year=2024, weights={}, radii=dict.fromkeys(REACH, 1000.0),
                  offer_types=list(REACH), residents_source="Test", max_share_in_reach=0.5)


@pytest.fixture
def chain():
    return chain_matrix(hand_result(), catalog.read_offer_types(), catalog.read_phases())


def test_the_matrix_cell_by_cell(chain):
    assert chain.measured == ["geburt", "fruehe_kindheit", "kita"]
    state = chain.wide("state")
    assert state.loc["01"].tolist() == [REACHED, REACHED, MISSING]
    assert state.loc["02"].tolist() == [MISSING, REACHED, MISSING]  # 50 % exactly is enough
    assert state.loc["03"].tolist() == [NO_TARGET, NO_TARGET, NO_TARGET]  # no children there
    assert state.loc["04"].tolist() == [PROTECTED, MISSING, REACHED]  # two births: not shown
    share = chain.wide("share_in_reach")
    # Kita has two types: the higher share counts (01: Kita-Sozialarbeit 40 % over Familienzentrum 20 %)
    assert share.loc["01", "kita"] == pytest.approx(0.4)
    assert share.loc["02", "kita"] == pytest.approx(0.3)
    assert share.loc["04", "kita"] == pytest.approx(0.95)
    best = chain.wide("offer_type")
    assert best["kita"].tolist() == ["kita_sozialarbeit", "familienzentrum", "", "familienzentrum"]
    assert chain.wide("target").loc["01", "kita"] == 90
    # Gaps of the chain: missing links of the districts in need (02 sehr niedrig; 03 niedrig but unknown)
    gap = chain.wide("gap")
    assert gap.loc["02"].tolist() == [True, False, True]
    assert not gap.drop(index="02").to_numpy().any()


def test_protection_codes(chain):
    codes = chain.wide("share_code")
    targets = chain.wide("target_code")
    assert targets.loc["04", "geburt"] == "< 3"  # 2 births
    assert codes.loc["04", "geburt"] == "•"
    # 40 children, 95 % in reach: the 2 without reach would follow from the share – hidden, the state stays
    assert codes.loc["04", "kita"] == "•" and targets.loc["04", "kita"] == ""
    assert chain.wide("state").loc["04", "kita"] == REACHED
    assert (codes.drop(index="04") == "").all(axis=None)
    texts = chain_tables.cell_texts(chain)
    assert texts.loc["04"].tolist() == ["• (< 3)", "✘ 10 %", "✔ •"]
    assert texts.loc["02"].tolist() == ["✘ 25 % · Lücke", "✔ 50 %", "✘ 30 % · Lücke"]
    assert texts.loc["03"].tolist() == ["?", "?", "?"]


def test_missing_links_and_row_text(chain):
    rows = chain.districts.set_index(settings.DISTRICT_ID)
    assert rows["missing"].tolist() == [1, 2, 0, 1]
    assert rows["unknown"].tolist() == [0, 0, 3, 1]
    assert rows.at["02", "row_text"] == "Geburt ✘ · frühe Kindheit ✔ · Kita ✘"
    assert rows.at["04", "row_text"] == "Geburt • · frühe Kindheit ✘ · Kita ✔"


def test_most_missing_phase(chain):
    assert chain.phases.loc[chain.measured, "missing"].tolist() == [1, 1, 2]
    assert chain.phases.loc[chain.measured, "missing_in_need"].tolist() == [1, 0, 1]
    assert chain.most_missing == ["kita"]
    assert most_missing_text(chain) == ("Am häufigsten fehlt das Glied „Kita“: in 2 von 4 Sozialräumen, darunter "
                                        "1 von 2 Sozialräumen mit hohem Bedarf.")


def test_phases_without_types_are_named_once(chain):
    assert chain.notes[0] == ("Für Jugend und Übergang Schule–Beruf ist keine Angebotsart erfasst; diese Glieder "
                              "der Kette werden nicht ausgewertet.")
    assert any(n.startswith("Für Grundschule liegen noch keine Standorte vor (Familiengrundschulzentren (FGZ))")
               for n in chain.notes)
    assert set(chain.cells["phase"]) == {"geburt", "fruehe_kindheit", "kita"}  # not counted in any district
    assert chain.phases.loc[["grundschule", "jugend", "uebergang"], "missing"].tolist() == [0, 0, 0]


def test_ties_and_nothing_missing():
    result = hand_result()
    d = result.districts
    for t in REACH:
        d[column("share_in_reach", t)] = np.where(d[column("target", t)] > 0, 0.9, np.nan)
    none = chain_matrix(result, catalog.read_offer_types(), catalog.read_phases())
    assert none.most_missing == [] and most_missing_text(none) == "In keinem Sozialraum fehlt ein Glied der Kette."
    d[column("share_in_reach", "lotsendienst")] = [0.1, 0.1, np.nan, 0.1]
    d[column("share_in_reach", "familienbuero")] = [0.1, 0.9, np.nan, 0.1]
    d[column("without_reach", "lotsendienst")] = np.round(d[column("target", "lotsendienst")] * 0.9)
    tie = chain_matrix(result, catalog.read_offer_types(), catalog.read_phases())
    # geburt: 01, 02 (04 protected); frühe Kindheit: 01, 04
    assert tie.most_missing == ["geburt", "fruehe_kindheit"]
    assert most_missing_text(tie) == ("Am häufigsten fehlen die Glieder „Geburt“ und „frühe Kindheit“: je in 2 von "
                                      "4 Sozialräumen, darunter 1 und 0 von 2 Sozialräumen mit hohem Bedarf.")


def test_no_measured_phase_and_unknown_phase():
    result = hand_result()
    types = catalog.read_offer_types()
    types.loc[["lotsendienst", "familienbuero", "familienzentrum"], "phase"] = ""
    types.loc["kita_sozialarbeit", "phase"] = "schulzeit"  # a phase the table lacks
    chain = chain_matrix(result, types, catalog.read_phases())
    assert chain.measured == [] and chain.cells.empty
    assert chain.districts["missing"].tolist() == [0, 0, 0, 0]
    assert chain.districts["row_text"].tolist() == ["", "", "", ""]
    assert most_missing_text(chain) == "Für keine Lebensphase ist eine Angebotsart mit Standorten ausgewertet."
    assert any("„schulzeit“" in n for n in chain.notes)
    assert chain_tables.matrix_table(chain).columns.tolist() == ["Sozialraum", "fehlende Glieder", "Statusklasse",
                                                              "hoher Bedarf", "Kette", "Sozialraum-Nr."]


def test_threshold_is_read_at_call_time(monkeypatch):
    monkeypatch.setattr(settings, "MIN_COUNT_SHOWN", 50)
    chain = chain_matrix(hand_result(), catalog.read_offer_types(), catalog.read_phases())
    state = chain.wide("state")
    assert state.loc["01", "geburt"] == PROTECTED  # 30 births < 50
    assert state.loc["04"].tolist() == [PROTECTED, MISSING, PROTECTED]  # 50 children are not fewer than 50


def test_sort_orders(chain):
    by = {k: chain_tables.matrix_table(chain, by=k)["Sozialraum-Nr."].tolist() for k in chain_tables.SORTS}
    assert by["missing"] == ["02", "01", "04", "03"]  # 2 missing; then 1 each (by name); then 0
    assert by["status"] == ["02", "03", "04", "01"]
    assert by["name"] == ["01", "04", "02", "03"]
    with pytest.raises(ValueError, match="Sortierung"):
        chain_tables.order(chain, "zufall")


def test_matrix_table_and_colours(chain):
    table = chain_tables.matrix_table(chain, by="name")
    assert table.columns.tolist() == ["Sozialraum", "fehlende Glieder", "Geburt", "frühe Kindheit", "Kita",
                                      "Statusklasse", "hoher Bedarf", "Kette", "Sozialraum-Nr."]
    assert table["fehlende Glieder"].tolist() == [1, 1, 2, 0]
    colors = chain_tables.cell_colors(chain)
    from geo.render.palette import HIDDEN_COLOR, NO_CLASS_COLOR, reach_colors

    scheme = reach_colors(4)  # < 25 %, 25–50 %, 50–75 %, ≥ 75 %
    assert colors.loc["01"].tolist() == [scheme[3], scheme[3], scheme[1]]
    assert colors.loc["02"].tolist() == [scheme[1], scheme[2], scheme[1]]
    assert colors.loc["03"].tolist() == [NO_CLASS_COLOR] * 3
    assert colors.loc["04"].tolist() == [HIDDEN_COLOR, scheme[0], HIDDEN_COLOR]
    assert chain_tables.text_color(scheme[0]) == "#ffffff" and chain_tables.text_color(scheme[3]) == "#000000"


def test_rule_names_the_threshold_and_the_several_types_rule():
    text = rule_text(0.5)
    assert "mindestens 50\u00a0%" in text and "zählt die mit dem höchsten Anteil" in text


# --- exports -------------------------------------------------------------------------------------------------------

def hand_dataset(names: list[str] = NAMES) -> tuple[Dataset, Result]:
    result = hand_result(names)
    offers = gpd.GeoDataFrame(
        {settings.OFFER_ID: ["L1", "B1", "Z1", "K1"], settings.OFFER_TYPE: list(REACH),
         settings.OFFER_NAME: ["Klinik", "Büro", "FZ", "KS"], settings.OFFER_ADDRESS: ["", "", "", ""],
         settings.OFFER_CAPACITY: [None] * 4},
        geometry=gpd.points_from_xy(*zip(*(xy(500 + 1000 * i, 500) for i in range(4)), strict=True)),
        crs="EPSG:25832",
    )
    dataset = Dataset(
        districts=result.districts[[settings.DISTRICT_ID, settings.DISTRICT_NAME, "geometry"]],
        indicators=pd.DataFrame({settings.DISTRICT_ID: IDS, settings.YEAR: 2024}), offers=offers, residents=None,
        offer_types=catalog.read_offer_types(), indicator_definitions=catalog.read_indicator_definitions(),
        source="Testdaten",
    )
    return dataset, result


def test_chain_csv():
    from geo.export import export, file_name, sidecar

    dataset, result = hand_dataset()
    data = export("chain", "csv", dataset, result)
    table = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert table["Sozialraum-Nr."].tolist() == IDS
    assert table["fehlende Glieder"].tolist() == ["1", "2", "0", "1"]
    assert table["Geburt: Zustand"].tolist() == ["✔", "✘", "?", "•"]
    assert table["Geburt: in Reichweite (%)"].tolist() == ["100", "25", "", "•"]
    assert table["Geburt: Zielgruppe (Anzahl)"].tolist() == ["30", "40", "0", "< 3"]
    assert table["Kita: Angebotsart"].tolist() == ["Kita-Sozialarbeit", "Familienzentrum", "", "Familienzentrum"]
    assert table["Kita: in Reichweite (%)"].tolist() == ["40", "30", "", "•"]
    assert table["Kita: Versorgungslücke"].tolist() == ["nein", "ja", "nein", "nein"]
    assert table["Kette"][1] == "Geburt ✘ · frühe Kindheit ✔ · Kita ✘"
    assert file_name("chain", "csv", result) == "praeventionsatlas_chain_2024.csv"
    note = sidecar("chain", "csv", dataset, result).decode("utf-8")
    assert "zählt die mit dem höchsten Anteil" in note and "Jugend und Übergang" in note


def test_chain_xlsx_and_hostile_names():
    import openpyxl

    from geo.export import export

    hostile = ["=cmd|' /C calc'!A0", "<script>alert(1)</script>", "$x$ {{ 7*191 }}", "+" + "x" * 300]
    dataset, result = hand_dataset(hostile)
    data = export("chain", "xlsx", dataset, result, None)
    assert export("chain", "xlsx", dataset, result, None) == data  # same inputs, same bytes
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Präventionskette", "Erläuterungen", "Einstellungen"]
    sheet = book["Präventionskette"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    names = [r[header.index("Sozialraum")] for r in rows[1:]]
    assert names[0] == "'=cmd|' /C calc'!A0" and names[3].startswith("'+x")
    assert names[1] == "<script>alert(1)</script>"
    assert [r[header.index("Geburt: in Reichweite (%)")] for r in rows[1:]] == [100, 25, None, "•"]
    notes = {r[0]: r[1] for r in book["Erläuterungen"].iter_rows(min_row=2, values_only=True)}
    assert "mindestens 50\u00a0%" in notes["Regel"]
    assert "Personenzahlen von 1 bis 2" in notes["Datenschutz"]
    assert "Am häufigsten fehlt das Glied „Kita“" in notes["Ergebnis"]


def test_chain_export_date_in_file():
    from geo.export import ExportOptions, export

    dataset, result = hand_dataset()
    a = export("chain", "xlsx", dataset, result, ExportOptions(export_date=date(2025, 1, 2)))
    b = export("chain", "xlsx", dataset, result, ExportOptions(export_date=date(2025, 1, 3)))
    assert a != b


# --- Steckbrief, report page, chain map ------------------------------------------------------------------------------

def test_steckbrief_section():
    from geo.analysis.profile import SECTIONS, Common, Subject, chain_links

    assert [k for k, _, _ in SECTIONS].index("kette") == [k for k, _, _ in SECTIONS].index("reichweite") + 1
    dataset, result = hand_dataset()
    common = Common(dataset, result)
    body = chain_links(Subject(common, 1))  # 02 Südpark, in need
    assert body.tables[0].rows == (
        ("rund um die Geburt", "Lotsendienst", "40", "25\u00a0%", "✘ fehlendes Glied – Versorgungslücke"),
        ("frühe Kindheit (0–3 Jahre)", "Familienbüro", "120", "50\u00a0%", "✔ Glied vorhanden"),
        ("Kita-Alter (3–6 Jahre)", "Familienzentrum", "110", "30\u00a0%", "✘ fehlendes Glied – Versorgungslücke"),
    )
    hafen = chain_links(Subject(common, 3)).tables[0].rows
    assert hafen[0][2:4] == ("< 3", "•") and hafen[0][4].startswith("• aus Datenschutzgründen")
    assert hafen[2][2:] == ("40", "•", "✔ Glied vorhanden")
    assert "ab 50\u00a0% der Zielgruppe" in body.note and "höchsten Anteil" in body.note


def _chain_page_text(dataset, result) -> str:
    import pypdf

    from geo.render.print.chain import chain_page
    from geo.render.print.kit import TextMeasure, figure_bytes, new_figure, rc
    from geo.render.print.page import PageCtx

    with rc():
        fig, renderer = new_figure(8.27, 11.69)
        chain_page(fig, renderer, PageCtx(dataset, result, date(2025, 3, 1), 1, [], TextMeasure(fig, renderer)))
        pdf = figure_bytes(fig, "pdf")
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_report_page_lists_all_of_few_districts():
    text = _chain_page_text(*hand_dataset(["Altstadt", "Preis $5 und $6", "{{ 7*191 }}", "Hafen"]))
    assert "Am häufigsten fehlt das Glied „Kita“" in text
    assert "hier alle Sozialräume" in text
    for name in ("Altstadt", "Preis $5 und $6", "{{ 7*191 }}", "Hafen"):
        assert name in text  # as written: no mathtext, no template
    assert "✘ 25 %" in text and "• (< 3)" in text and "✔ •" in text
    assert "zählt die mit dem höchsten Anteil" in text


def test_report_page_cuts_a_long_list_with_a_note():
    dataset, result = hand_dataset()
    n = 120
    d = pd.concat([result.districts] * (n // 4), ignore_index=True)
    d[settings.DISTRICT_ID] = [f"{i:03d}" for i in range(n)]
    d[settings.DISTRICT_NAME] = [f"Sozialraum {i:03d}" for i in range(n)]
    d["status_class"] = "Status sehr niedrig"
    big = Result(**{**result.__dict__, "districts": gpd.GeoDataFrame(d, geometry="geometry", crs=result.districts.crs)})
    text = _chain_page_text(dataset.with_layers(districts=big.districts[[settings.DISTRICT_ID,
                                                                         settings.DISTRICT_NAME, "geometry"]]), big)
    assert "die Sozialräume mit hohem Bedarf" in text
    listed = len(set(re.findall(r"Sozialraum \d{3}", text)))
    assert 20 < listed < n
    assert f"… und {n - listed} weitere (vollständig in der Tabelle „Präventionskette“" in text


def test_chain_map_classes_legend_and_escaping():
    from geo.render.web import map_data

    dataset, result = hand_dataset(["<b>Alt</b>", "Süd $x$", "{{ 7*191 }}", "Hafen"])
    phases = catalog.read_phases()
    phases.loc["kita", "short"] = "<i>Kita</i>"
    dataset = dataset.with_layers(phases=phases)
    assert map_data.CHAIN_MISSING in map_data.variables(result, dataset)
    data = map_data.map_data(result, dataset, variable=map_data.CHAIN_MISSING, offer_types=[])
    fills = [f["properties"]["fill"] for f in features_of(data["districts"])]
    colors = chain_tables.missing_colors(3)
    from geo.render.palette import NO_CLASS_COLOR

    assert fills == [colors[1], colors[2], NO_CLASS_COLOR, colors[1]]  # 1, 2, all unknown, 1 missing
    legend = data["legend"]
    assert "kein fehlendes Glied <span class='pa-n'>(0)</span>" in legend
    assert "1 fehlendes Glied <span class='pa-n'>(2)</span>" in legend
    assert "2 fehlende Glieder <span class='pa-n'>(1)</span>" in legend
    assert "&lt;i&gt;Kita&lt;/i&gt;" in legend and "<i>" not in legend
    tip = features_of(data["districts"])[1]["properties"]["tip"]
    assert "Kette: Geburt ✘ · frühe Kindheit ✔ · &lt;i&gt;Kita&lt;/i&gt; ✘" in tip


def test_analyse_page_shows_the_matrix():
    from geo.analysis import analyse
    from geo.demo import load_demo
    from tests.apptest import open_page

    dataset = load_demo()
    chain = chain_matrix(analyse(dataset), dataset.offer_types, dataset.phases)
    at = open_page("app_pages/2_Analyse.py", timeout=120)
    assert not at.exception
    assert "Präventionskette" in [s.value for s in at.subheader]
    assert any(most_missing_text(chain).split(":")[0] in m.value for m in at.markdown)
    matrix = next(df.value for df in at.dataframe if "Kette" in df.value.columns)
    assert len(matrix) == len(chain.districts)
    assert matrix["fehlende Glieder"].tolist() == sorted(matrix["fehlende Glieder"], reverse=True)
    at.radio(key="analyse_chain_sort").set_value("name").run()
    matrix = next(df.value for df in at.dataframe if "Kette" in df.value.columns)
    names = matrix["Sozialraum"].tolist()
    assert names == sorted(names, key=str.casefold)
    at.toggle(key="analyse_chain_need").set_value(True).run()
    matrix = next(df.value for df in at.dataframe if "Kette" in df.value.columns)
    assert len(matrix) == int(chain.districts["in_need"].sum()) and matrix["hoher Bedarf"].all()
    assert not at.exception
