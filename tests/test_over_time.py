"""Change over time (geo.analysis.over_time), by hand: two years, two data versions, re-cut boundaries refused.

Three 1 km squares A | B | C (tests/conftest.py) with an FGZ in the centre of A and of C, radius 800 m: all of A's and
C's children are in reach, of B's only the 5 at 700 m of the 25 (20 %). The FGZ target group (6 to under 10) is
4/18 of a district's children.

* 2023: C is the most deprived (in need, 100 % in reach: no gap); children A 90, B 160, C 80.
* 2024 (the conftest year): B is the most deprived (in need, 20 % in reach: a gap); children A 100, B 250, C 80.
  In reach 2023: (90 + 0.2 × 160 + 80) × 4/18 = 44.9; 2024: (100 + 0.2 × 250 + 80) × 4/18 = 51.1: +6.
* Two versions of the offers (2024): v2 adds an FGZ in B's centre, so B has 100 %: (250 − 0.2 × 250) × 4/18 = +44,
  B's gap closes ("neu versorgt").
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import DataError, settings
from geo.analysis import Params
from geo.analysis.over_time import (
    BoundariesChanged,
    between_versions,
    between_years,
    common_year,
    layer_boundaries,
    year_boundaries,
)
from geo.district_ids import pair_district_ids
from geo.render import change_tables
from geo.store import Workspace
from geo.store.versions import dataset_with_versions
from tests.conftest import SHARED_DATA, xy

PARAMS = Params(radii={"fgz": 800.0})
NAMES = {"fgz": "FGZ"}


def _year_2023(indicators: pd.DataFrame) -> pd.DataFrame:
    earlier = indicators.copy()
    earlier[settings.YEAR] = 2023
    earlier[settings.CHILDREN] = [90, 160, 80]
    earlier["sgb2_children_quota"] = [10.0, 16.0, 40.0]
    earlier["unemployment_rate"] = [4.0, 6.0, 14.0]
    earlier["single_parent_share"] = [15.0, 19.0, 35.0]
    return earlier


@pytest.fixture
def two_years(small_dataset, indicators):
    table = pd.concat([_year_2023(indicators), indicators], ignore_index=True)
    return small_dataset.with_layers(indicators=table)


def test_two_years_where_the_change_is_known(two_years):
    ot = between_years(two_years, 2023, 2024, PARAMS)
    assert (ot.kind, ot.period, ot.result_a.year, ot.result_b.year) == ("years", "2023 → 2024", 2023, 2024)
    status = [list(r.districts["status_class"]) for r in (ot.result_a, ot.result_b)]
    assert status == [["Status mittel", "Status mittel", "Status niedrig"],
                      ["Status mittel", "Status niedrig", "Status mittel"]]
    row = ot.comparison.figures("fgz")
    assert row["reached_before"] == pytest.approx((90 + 0.2 * 160 + 80) * 4 / 18)
    assert row["reached_after"] == pytest.approx((100 + 0.2 * 250 + 80) * 4 / 18)
    assert (row["gaps_before"], row["gaps_after"], row["gaps_closed"], row["gaps_opened"]) == (0, 1, 0, 1)
    # in districts in need, each year's own: C (all 80 in reach) in 2023, B (20 % of 250) in 2024
    assert row["in_need_before"] == pytest.approx(80 * 4 / 18)
    assert row["in_need_after"] == pytest.approx(0.2 * 250 * 4 / 18)
    assert row["in_need_change"] == pytest.approx((0.2 * 250 - 80) * 4 / 18)
    assert change_tables.headlines(ot, NAMES) == [
        ("FGZ", "+6 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 neue Versorgungslücke")]
    table = change_tables.district_table(ot, NAMES)
    b = table[table["Sozialraum-Nr."] == "02"].iloc[0]
    assert (b["2023: in Reichweite (%)"], b["2024: in Reichweite (%)"], b["Veränderung (Prozentpunkte)"]) == \
        (20, 20, "±0")
    assert (b["Veränderung (Personen)"], b["Versorgungslücke"]) == ("+4", "neue Lücke")  # 0.2 × 90 × 4/18 = 4.0
    assert (b["Statusklasse 2023"], b["Statusklasse 2024"]) == ("Status mittel", "Status niedrig")
    figures = change_tables.key_figures(ot, NAMES).iloc[0]
    assert (figures["2023: in Reichweite"], figures["2024: in Reichweite"], figures["Veränderung"]) == (45, 51, "+6")
    assert (figures["neu versorgt"], figures["neue Lücken"]) == (0, 1)
    assert "mit denselben Angeboten" in ot.notes[0]
    assert ot.notes[1] == ("In 2 Sozialräumen hat sich die Statusklasse geändert: Eine Versorgungslücke gilt im Bedarf "
                           "des jeweiligen Jahres.")


def test_the_other_way_round_the_gap_ends_with_the_need_not_newly_served(two_years):
    ot = between_years(two_years, 2024, 2023, PARAMS)
    row = ot.comparison.figures("fgz")
    assert (row["gaps_closed"], row["gaps_opened"]) == (1, 0)
    assert list(ot.need_ended()) == [False, True, False]
    table = change_tables.district_table(ot, NAMES)
    assert table.set_index("Sozialraum-Nr.").at["02", "Versorgungslücke"] == change_tables.NEED_ENDED_TEXT
    assert change_tables.headlines(ot, NAMES)[0][1] == (
        "\u22126 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 Versorgungslücke geschlossen (davon 1 ohne hohen "
        "Bedarf 2023)")


def test_a_year_with_other_district_ids_is_refused_naming_them(two_years):
    table = two_years.indicators.copy()
    table.loc[(table[settings.YEAR] == 2024) & (table[settings.DISTRICT_ID] == "03"), settings.DISTRICT_ID] = "04"
    recut = two_years.with_layers(indicators=table)
    with pytest.raises(BoundariesChanged) as caught:
        between_years(recut, 2023, 2024, PARAMS)
    assert str(caught.value).startswith(
        "Die Sozialraumgrenzen haben sich zwischen 2023 und 2024 geändert: 1 Sozialraum nur 2023 (03 Über der Höhe); "
        "1 Sozialraum nur 2024 (04). Ein Vergleich wäre irreführend. Bitte vergleichen Sie Jahre")
    assert isinstance(caught.value, DataError)
    assert (caught.value.change.only_a, caught.value.change.only_b) == (("03",), ("04",))


def test_ids_without_the_leading_zero_are_the_same_district(two_years):
    table = two_years.indicators.copy()
    later = table[settings.YEAR] == 2024
    table.loc[later, settings.DISTRICT_ID] = table.loc[later, settings.DISTRICT_ID].str.lstrip("0")
    assert sorted(table.loc[later, settings.DISTRICT_ID]) == ["1", "2", "3"]
    change = year_boundaries(table, 2023, 2024)
    assert not change.changed and change.renamed == {"1": "01", "2": "02", "3": "03"}
    ot = between_years(two_years.with_layers(indicators=table), 2023, 2024, PARAMS)
    # 2024's rows are joined to the districts "01"…"03": the same figures as with the stored spelling
    assert ot.comparison.figures("fgz")["reached_after"] == pytest.approx((100 + 0.2 * 250 + 80) * 4 / 18)
    assert any("führenden Nullen" in n for n in ot.notes)


def test_pairing_of_ids():
    assert pair_district_ids(["01", "02", "A7"], [" 1", "02", "a7"]) == ({"1": "01", "02": "02"}, ["A7"], ["a7"])
    # "1" cannot be "01" when "01" is there itself: it is a district of its own
    assert pair_district_ids(["01", "02"], ["01", "1", "02"]) == ({"01": "01", "02": "02"}, [], ["1"])
    assert pair_district_ids([1, 2], ["1", "2"]) == ({"1": "1", "2": "2"}, [], [])


def test_missing_and_equal_years_are_refused(two_years):
    with pytest.raises(DataError, match=r"Für 2022 sind keine Indikatoren gespeichert \(vorhanden: 2023, 2024\)"):
        between_years(two_years, 2022, 2024, PARAMS)
    with pytest.raises(DataError, match="zwei verschiedene Jahre"):
        between_years(two_years, 2024, 2024, PARAMS)


# ---------------------------------------------------------------------------------------------- boundaries


def moved_squares(squares: gpd.GeoDataFrame, metres: float) -> gpd.GeoDataFrame:
    """The squares with the border between A and B moved ``metres`` to the east."""
    out = squares.copy()
    out.loc[0, "geometry"] = box(*xy(0, 0), *xy(1000 + metres, 1000))
    out.loc[1, "geometry"] = box(*xy(1000 + metres, 0), *xy(2000, 1000))
    return out


def test_a_recut_is_found_and_small_noise_is_not(squares):
    # 100 m of 1,000: A and B differ by 10 % of their area
    change = layer_boundaries(squares, moved_squares(squares, 100.0))
    assert change.recut == ("01", "02") and not change.only_a and not change.only_b
    assert change.message("Sozialräume v1", "Sozialräume v2") == (
        "Die Sozialraumgrenzen haben sich zwischen Sozialräume v1 und Sozialräume v2 geändert: 2 Sozialräume neu "
        "zugeschnitten (01 Altstadt, 02 Südpark). Ein Vergleich wäre irreführend.")
    # 5 m: 0.5 % of A (and 0.53 % of B) is digitising noise
    assert not layer_boundaries(squares, moved_squares(squares, 5.0)).changed
    # 20 m: 2 % – a re-cut, unless the tolerance is raised above it
    assert layer_boundaries(squares, moved_squares(squares, 20.0)).recut == ("01", "02")
    assert not layer_boundaries(squares, moved_squares(squares, 20.0), tolerance=0.03).changed


def test_same_polygons_in_another_projection_and_ids_without_zeros_are_no_change(squares):
    other = squares.to_crs("EPSG:31466").assign(**{settings.DISTRICT_ID: ["1", "2", "3"]})
    change = layer_boundaries(squares, other)
    assert not change.changed and change.renamed == {"1": "01", "2": "02", "3": "03"}


def test_a_district_only_in_one_layer_is_named(squares):
    fewer = squares.iloc[:2]
    more = pd.concat([squares, squares.iloc[[2]].assign(**{settings.DISTRICT_ID: "04", settings.DISTRICT_NAME: "Neu"})])
    change = layer_boundaries(fewer, gpd.GeoDataFrame(more, crs=squares.crs))
    assert (change.only_a, change.only_b, change.recut) == ((), ("03", "04"), ())
    assert "2 Sozialräume nur in „B“ (03 Über der Höhe, 04 Neu)" in change.message("A", "B")


# ------------------------------------------------------------------------------------------------ versions


def store_city(ws, squares, two_offers, residents, indicators) -> None:
    """Districts v1, indicators v1, residents v1, offers v1 (two FGZ) and v2 (+ "FGZ Mitte" in B's centre)."""
    ws.save("districts", squares, filename="sozialraeume.geojson")
    ws.save("indicators", indicators, filename="indikatoren.csv")
    ws.save("residents", residents, filename="wohnorte.csv")
    ws.save("offers", two_offers, filename="angebote_2023.csv")
    third = gpd.GeoDataFrame(
        {settings.OFFER_ID: ["F3"], settings.OFFER_TYPE: ["fgz"], settings.OFFER_NAME: ["FGZ Mitte"],
         settings.OFFER_ADDRESS: ["Weg 3"], settings.OFFER_CAPACITY: [None]},
        geometry=gpd.points_from_xy([xy(1500, 500)[0]], [xy(1500, 500)[1]]), crs="EPSG:25832")
    ws.save("offers", pd.concat([two_offers, third], ignore_index=True), filename="angebote_2024.csv")


@pytest.fixture
def city(tmp_path, squares, two_offers, residents, indicators):
    ws = Workspace(tmp_path / "stadt")
    ws.set_meta(name="Teststadt", origin="city")
    store_city(ws, squares, two_offers, residents, indicators)
    return ws


def test_dataset_with_versions_reads_the_chosen_version_and_the_active_others(city):
    active = city.dataset()
    old = dataset_with_versions(city, {"offers": 1})
    assert (len(active.offers), len(old.offers)) == (3, 2)
    assert old.stored_versions == {**active.stored_versions, "offers": 1}
    assert old.versions["offers"].startswith("Angebote v1 (angebote_2023.csv, ")
    assert old.districts.equals(active.districts) and old.indicators.equals(active.indicators)
    assert dataset_with_versions(city, {}).stored_versions == active.stored_versions
    with pytest.raises(DataError, match="Version 7 der Ebene „Angebote“ gibt es nicht"):
        dataset_with_versions(city, {"offers": 7})
    assert city.history("offers")["version"].tolist() == [2, 1]  # nothing written


def test_two_versions_of_the_offers(city):
    sides = dataset_with_versions(city, {"offers": 1}), dataset_with_versions(city, {"offers": 2})
    ot = between_versions(*sides, PARAMS, labels=("Angebote v1", "Angebote v2"))
    assert (ot.kind, ot.period, ot.result_b.year) == ("versions", "Angebote v1 → Angebote v2", 2024)
    row = ot.comparison.figures("fgz")
    assert row["reached_change"] == pytest.approx(0.8 * 250 * 4 / 18)
    assert (row["gaps_before"], row["gaps_after"], row["gaps_closed"], row["gaps_opened"]) == (1, 0, 1, 0)
    assert change_tables.headlines(ot, NAMES) == [
        ("FGZ", "+44 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 Versorgungslücke geschlossen")]
    table = change_tables.district_table(ot, NAMES)
    assert len(table) == 1 and "Statusklasse Angebote v2" not in table  # the same status in both
    b = table.iloc[0]
    assert (b["Sozialraum-Nr."], b["Angebote v1: in Reichweite (%)"], b["Angebote v2: in Reichweite (%)"]) == \
        ("02", 20, 100)
    assert (b["Veränderung (Personen)"], b["Versorgungslücke"]) == ("+44", "neu versorgt")
    assert ot.notes == ("Beide Datenstände sind für das Indikatorjahr 2024 analysiert.",)


def test_two_versions_of_recut_boundaries_are_refused(city, squares):
    city.save("districts", moved_squares(squares, 100.0), filename="sozialraeume_neu.geojson")
    sides = dataset_with_versions(city, {"districts": 1}), dataset_with_versions(city, {"districts": 2})
    with pytest.raises(BoundariesChanged, match=r"2 Sozialräume neu zugeschnitten \(01 Altstadt, 02 Südpark\)\. "
                                                r"Ein Vergleich wäre irreführend\."):
        between_versions(*sides, PARAMS, labels=("Sozialräume v1", "Sozialräume v2"))


def test_boundaries_stored_again_without_zeros_compare(city, squares):
    city.save("districts", squares.assign(**{settings.DISTRICT_ID: ["1", "2", "3"]}), filename="ohne_nullen.geojson")
    indicators = city.load("indicators").assign(**{settings.DISTRICT_ID: ["1", "2", "3"]})
    city.save("indicators", indicators, filename="indikatoren_ohne_nullen.csv")
    sides = dataset_with_versions(city, {"districts": 1, "indicators": 1}), city.dataset()
    ot = between_versions(*sides, PARAMS, labels=("Stand 1", "Stand 2"))
    assert list(ot.comparison.districts[settings.DISTRICT_ID].unique()) == ["01", "02", "03"]
    row = ot.comparison.figures("fgz")
    assert (row["reached_change"], row["gaps_closed"], row["gaps_opened"]) == (pytest.approx(0.0), 0, 0)
    assert "3 Sozialraum-Nummern unterscheiden sich nur in führenden Nullen" in ot.notes[1]


def test_common_year(small_dataset, two_years):
    assert common_year(two_years, small_dataset) == 2024
    assert common_year(two_years, two_years, 2023) == 2023
    with pytest.raises(DataError, match="Für den Vergleich fehlt das Jahr 2023: A hat Indikatoren für 2023, 2024, "
                                        "B für 2024"):
        common_year(two_years, small_dataset, 2023)


def test_a_dynamik_base_year_not_before_the_year_is_left_to_the_default(two_years):
    ot = between_years(two_years, 2023, 2024, dataclasses.replace(PARAMS, dynamic_base_year=2023))
    assert (ot.result_a.dynamics.base_year, ot.result_b.dynamics.base_year) == (None, 2023)
    assert np.isfinite(ot.comparison.figures("fgz")["reached_change"])


# ----------------------------------------------------------------------------------------------------- CLI


def test_cli_change_between_versions_prints_the_headline_and_the_newly_served(city, capsys, tmp_path):
    from geo.cli import main

    before = city.history()
    out = tmp_path / "entwicklung.csv"
    code = main(["change", "--layer", "offers", "--versions", "1", "2", "--workspace", str(city.path),
                 "--radius", "fgz=800", "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    lines = printed.out.splitlines()
    assert lines[0] == "Entwicklung Angebote v1 → Angebote v2"
    assert "FGZ: +44 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 Versorgungslücke geschlossen" in lines
    assert "  Versorgungslücken: 1 → 0 (neu versorgt 1, neue Lücken 0)" in lines
    assert "  neu versorgt: 02 Südpark" in lines
    table = out.read_text(encoding="utf-8-sig").splitlines()
    assert table[0] == ("Sozialraum;Sozialraum-Nr.;Angebotsart;Statusklasse;Angebote v1: in Reichweite (%);"
                        "Angebote v2: in Reichweite (%);Veränderung (Prozentpunkte);Veränderung (Personen);"
                        "Versorgungslücke")
    # every district, the newly served first
    assert table[1:] == ["Südpark;02;FGZ;Status niedrig;20;100;80;44;neu versorgt",
                         "Altstadt;01;FGZ;Status mittel;100;100;0;0;keine Lücke",
                         "Über der Höhe;03;FGZ;Status mittel;100;100;0;0;keine Lücke"]
    pd.testing.assert_frame_equal(city.history(), before)  # never writes to the workspace


def test_cli_change_refuses_recut_boundaries_with_exit_code_2(city, squares, capsys):
    from geo.cli import main

    city.save("districts", moved_squares(squares, 100.0), filename="neu.geojson")
    code = main(["change", "--layer", "districts", "--versions", "1", "2", "--workspace", str(city.path)])
    err = capsys.readouterr().err
    assert code == 2
    assert ("Fehler: Die Sozialraumgrenzen haben sich zwischen Sozialräume v1 und Sozialräume v2 geändert: 2 "
            "Sozialräume neu zugeschnitten (01 Altstadt, 02 Südpark). Ein Vergleich wäre irreführend.") in err


def test_cli_change_between_years_of_the_demo(capsys):
    from geo.cli import main
    from geo.demo import load_demo

    assert main(["change", "--years", "2023", "2024"]) == 0
    lines = capsys.readouterr().out.splitlines()
    demo = load_demo()
    ot = between_years(demo, 2023, 2024)
    names = {t: demo.type_labels(t).short for t in demo.offer_types.index}
    assert lines[0] == "Entwicklung 2023 → 2024"
    assert [f"{n}: {t}" for n, t in change_tables.headlines(ot, names)] == [line for line in lines if any(
        line.startswith(f"{n}: ") for n in names.values())]
    with pytest.raises(SystemExit):
        main(["change"])  # --years or --versions is required
    assert main(["change", "--layer", "offers", "--versions", "1", "2"]) == 2
    assert "Die Demo Musterstadt hat keine gespeicherten Datenstände" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ real boundaries

VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"


@pytest.mark.skipif(not VG5000.is_file(), reason=f"Echte Daten fehlen: {VG5000} (../shared/data neben dem Repository)")
def test_real_municipal_boundaries_of_kreis_unna():
    """The ten municipalities of Kreis Unna (VG5000, Gauß-Krüger zone 3) stored again, and then re-cut."""
    gem = gpd.read_file(VG5000, engine="pyogrio")
    kreis = gem[gem["AGS"].str.startswith("05978")][["AGS", "GEN", "geometry"]].dissolve("AGS", as_index=False)
    kreis = kreis.rename(columns={"AGS": settings.DISTRICT_ID, "GEN": settings.DISTRICT_NAME})
    assert kreis.crs.to_epsg() == 31467 and len(kreis) == 10
    # delivered again in UTM 32N, the AGS as Excel leaves them (no leading zero), simplified by 10 m: the same
    again = kreis.to_crs(settings.METRIC_CRS)
    again[settings.DISTRICT_ID] = again[settings.DISTRICT_ID].str.lstrip("0")
    again["geometry"] = again.geometry.simplify(10.0)
    change = layer_boundaries(kreis, again)
    assert not change.changed and change.renamed["5978020"] == "05978020" and len(change.renamed) == 10
    # Bergkamen's land within 800 m of Kamen goes to Kamen: both re-cut, the other eight unchanged
    by_id = kreis.set_index(settings.DISTRICT_ID).geometry
    moved = by_id["05978004"].intersection(by_id["05978020"].buffer(800.0))
    recut = kreis.copy()
    recut.loc[recut[settings.DISTRICT_ID] == "05978020", "geometry"] = by_id["05978020"].union(moved)
    recut.loc[recut[settings.DISTRICT_ID] == "05978004", "geometry"] = by_id["05978004"].difference(moved)
    assert moved.area / by_id["05978004"].area > 0.01
    change = layer_boundaries(kreis, recut)
    assert change.recut == ("05978004", "05978020") and not change.only_a and not change.only_b
    assert change.message("Gemeinden v1", "Gemeinden v2").startswith(
        "Die Sozialraumgrenzen haben sich zwischen Gemeinden v1 und Gemeinden v2 geändert: 2 Sozialräume neu "
        "zugeschnitten (05978004 Bergkamen, 05978020 Kamen).")
