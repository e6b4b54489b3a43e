"""Target groups: exact, composed and estimated counts per district, their words, and where they live."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo import settings
from geo.analysis import Params, analyse, column
from geo.analysis.population import CHILDREN
from geo.analysis.targets import partition, point_counts, target_counts, words
from geo.catalog import parse_target
from tests.conftest import xy


def _table(**columns) -> pd.DataFrame:
    base = {settings.DISTRICT_ID: ["01", "02"], settings.INHABITANTS: [800.0, 1600.0],
            settings.CHILDREN: [180.0, 90.0]}
    return pd.DataFrame({**base, **columns})


def test_words_of_an_age_band_and_of_births() -> None:
    p = words(parse_target("6-10"))
    assert (p.column, p.plural, p.dative, p.short, p.heading) == (
        "age_6_10", "Kinder von 6 bis unter 10 Jahren", "Kindern von 6 bis unter 10 Jahren", "6–9 J.", "Kinder 6–9")
    assert p.genitive == "der Kinder von 6 bis unter 10 Jahren"
    assert p.in_reach == "Kinder von 6 bis unter 10 Jahren in Reichweite"
    births = words(parse_target("geburten"))
    assert (births.column, births.plural, births.genitive) == ("births", "Geburten", "der Geburten")
    assert words(parse_target("15-25")).plural == "junge Menschen von 15 bis unter 25 Jahren"


def test_the_exact_column_comes_first() -> None:
    group, counts = target_counts(parse_target("6-10"), _table(age_6_10=[41.0, np.nan], age_6_8=[1.0, 2.0]))
    assert counts.tolist() == [41.0, 0.0]  # a missing value of a column with values is 0, as for the children
    assert group.source == "Indikatorentabelle, Spalte „age_6_10“" and group.note == ""


def test_all_children_are_the_children_column() -> None:
    group, counts = target_counts(parse_target("0-18"), _table())
    assert group == CHILDREN and counts.tolist() == [180.0, 90.0]


def test_bands_that_partition_the_target_are_summed() -> None:
    table = _table(age_0_3=[30.0, 12.0], age_3_6=[25.0, 10.0], age_0_6=[np.nan, np.nan], age_2_6=[1.0, 1.0])
    group, counts = target_counts(parse_target("0-6"), table)  # age_0_6 holds no value
    assert counts.tolist() == [55.0, 22.0]
    assert group.source == "Indikatorentabelle, Summe der Altersgruppen 0–2 J. + 3–5 J."
    assert group.note == ""


def test_partition_takes_the_fewest_bands_and_refuses_gaps_and_overlaps() -> None:
    bands = {(0, 1): "a", (1, 3): "b", (0, 3): "c", (3, 6): "d", (5, 10): "e"}
    assert partition(bands, 0, 6) == ["c", "d"]
    assert partition(bands, 1, 6) == ["b", "d"]
    assert partition(bands, 0, 10) is None  # 3–6 and 5–10 overlap
    assert partition(bands, 6, 10) is None


def test_a_band_inside_0_18_is_estimated_from_the_children_with_the_share_said() -> None:
    group, counts = target_counts(parse_target("6-10"), _table())
    assert counts.tolist() == pytest.approx([40.0, 20.0])  # 4/18 of 180 and of 90
    assert group.note == ("Kinder von 6 bis unter 10 Jahren geschätzt: 4/18 der Kinder 0–17, die "
                          "Indikatorentabelle hat keine Altersgruppen")
    _, other = target_counts(parse_target("6-10"), _table(age_0_3=[1.0, 1.0]))
    assert _.note.endswith("die Indikatorentabelle hat keine passenden Altersgruppen")
    assert other.tolist() == pytest.approx([40.0, 20.0])


def test_births_are_estimated_as_one_year_of_the_children() -> None:
    group, counts = target_counts(parse_target("geburten"), _table())
    assert counts.tolist() == pytest.approx([10.0, 5.0])
    assert group.note == "Geburten geschätzt: 1/18 der Kinder 0–17, die Indikatorentabelle hat keine Geburtenzahlen"


def test_other_bands_and_a_table_without_children_use_the_inhabitants() -> None:
    group, counts = target_counts(parse_target("15-25"), _table())
    assert counts.tolist() == pytest.approx([100.0, 200.0])  # 10/80 of 800 and 1,600
    assert group.note == ("junge Menschen von 15 bis unter 25 Jahren geschätzt: 10/80 der Einwohnerinnen und "
                          "Einwohner, die Indikatorentabelle hat keine Altersgruppen")
    # without any children counts a child band is not guessed from the inhabitants: the type is measured for the
    # inhabitants, with their note, as the whole city is
    no_children = _table().drop(columns=[settings.CHILDREN])
    group, counts = target_counts(parse_target("3-6"), no_children)
    assert counts.tolist() == pytest.approx([800.0, 1600.0])
    assert group.column == settings.INHABITANTS
    assert group.note == ("Reichweite gemessen an allen Einwohnerinnen und Einwohnern – die Indikatortabelle enthält "
                          "keine Kinderzahlen")


def test_points_use_their_own_band_else_the_spread_by_children_else_inhabitants() -> None:
    residents = gpd.GeoDataFrame(
        {settings.CHILDREN: [1.0, 3.0, 2.0], settings.INHABITANTS: [10.0, 10.0, 20.0], "age_6_10": [5.0, 0.0, 1.0]},
        geometry=[Point(0, 0)] * 3, crs=settings.METRIC_CRS,
    )
    located = np.array([0, 0, 1])
    counts = np.array([40.0, 20.0])
    band, _ = words(parse_target("6-10")), None
    own, text = point_counts(band, residents, located, counts, on_grid=False, label="Blöcke")
    assert own.tolist() == [5.0, 0.0, 1.0] and text == "Blöcke"
    births = words(parse_target("geburten"))
    spread, text = point_counts(births, residents, located, counts, on_grid=False, label="Blöcke")
    assert spread.tolist() == [10.0, 30.0, 20.0]  # 40 by children 1:3, 20 at the only point of district 1
    assert text == "Blöcke; Geburten je Sozialraum nach den Kinderzahlen der Punkte verteilt"
    by_inhabitants, text = point_counts(births, residents.drop(columns=[settings.CHILDREN]), located, counts,
                                        on_grid=False, label="Blöcke")
    assert by_inhabitants.tolist() == [20.0, 20.0, 20.0]
    assert text.endswith("nach den Einwohnerzahlen der Punkte verteilt")
    grid, _ = point_counts(births, residents, located, counts, on_grid=True, label="Raster")
    assert grid.tolist() == [20.0, 20.0, 20.0]  # evenly


def test_the_analysis_measures_each_type_for_its_estimated_target_group(small_dataset) -> None:
    """The conftest city has no age bands: the FGZ's children 6–9 are 4/18 of the children, placed by children."""
    result = analyse(small_dataset, Params(radii={"fgz": 800}))
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert d[column("target", "fgz")].tolist() == pytest.approx([400 / 18, 1000 / 18, 320 / 18])
    target = result.targets["fgz"]
    assert target.note.startswith("Kinder von 6 bis unter 10 Jahren geschätzt: 4/18 der Kinder 0–17")
    assert target.source.endswith("Wohnorte: Wohnblöcke (Einwohner- und Kinderzahlen je Block); Kinder von 6 bis "
                                  "unter 10 Jahren je Sozialraum nach den Kinderzahlen der Punkte verteilt")
    # shares as for the children (same points, same proportions): B 5 of 5 + 20 children within 800 m
    assert d[column("share_in_reach", "fgz")].tolist() == pytest.approx([1.0, 0.2, 1.0])
    assert result.population == CHILDREN  # the district views keep the children 0–17
    assert result.residents_source == "Wohnblöcke (Einwohner- und Kinderzahlen je Block)"


def test_target_groups_on_the_fallback_grid(small_dataset) -> None:
    result = analyse(small_dataset.with_layers(residents=None))
    assert result.residents_on_grid
    assert result.targets["fgz"].source.endswith(
        "Wohnorte: keine Wohnorte-Ebene: Kinder von 6 bis unter 10 Jahren gleichmäßig auf ein 100-m-Raster im "
        "Sozialraum verteilt")
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert d[column("target", "fgz")].sum() == pytest.approx(430 * 4 / 18)


def test_point_counts_on_real_coordinates_stay_in_their_district(squares) -> None:
    """A point of the residents layer outside every district carries nothing."""
    residents = gpd.GeoDataFrame({settings.CHILDREN: [4.0, 4.0]}, geometry=[Point(xy(500, 500)), Point(xy(-50, 0))],
                                 crs=settings.METRIC_CRS)
    located = np.array([0, -1])
    spread, _ = point_counts(words(parse_target("geburten")), residents, located, np.array([9.0, 0.0, 0.0]),
                             on_grid=False, label="x")
    assert spread.tolist() == [9.0, 0.0]
