"""Comparison of two analyses on a toy city of three districts, every difference computed by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import catalog, settings
from geo.analysis import Result
from geo.analysis.compare import compare, headline, protected_districts
from geo.analysis.population import CHILDREN
from geo.render.reach_words import target

#: Altstadt (not in need), Südpark (sehr niedrig), Über der Höhe (niedrig); 100, 200 and 50 children 6–10.
STATUS = ["Status hoch", "Status sehr niedrig", "Status niedrig"]


def result(shares: list[float], targets: tuple[float, ...] = (100, 200, 50), *, reverse: bool = False) -> Result:
    """A hand-made analysis of FGZ reach: gap = in need and share below 0.5."""
    share = np.asarray(shares, dtype=float)
    people = np.asarray(targets, dtype=float)
    in_need = np.array([s in ("Status niedrig", "Status sehr niedrig") for s in STATUS])
    districts = gpd.GeoDataFrame({
        settings.DISTRICT_ID: ["01", "02", "03"], settings.DISTRICT_NAME: ["Altstadt", "Südpark", "Über der Höhe"],
        "status_class": STATUS, "classified": True, settings.INHABITANTS: [1000, 2000, 1500],
        settings.CHILDREN: [400, 800, 200], "target__fgz": people, "share_in_reach__fgz": share,
        "without_reach__fgz": np.round(people * (1 - share)), "median_distance_m__fgz": 500.0,
        "gap__fgz": in_need & (share < 0.5),
    }, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=settings.METRIC_CRS)
    if reverse:
        districts = districts.iloc[::-1].reset_index(drop=True)
    words = CHILDREN.__class__(column="target", plural="Kinder von 6 bis unter 10 Jahren", dative="Kindern",
                               short="Kinder", heading="Kinder 6–10", description="", counts="")
    return Result(districts=districts, gaps=pd.DataFrame(), year=2024, weights={}, radii={"fgz": 1000.0},
                  offer_types=["fgz"], residents_source="Test", max_share_in_reach=0.5, targets={"fgz": words})


def test_key_figures_and_districts_by_hand():
    base, variant = result([0.5, 0.2, 0.6]), result([0.5, 0.8, 0.4])
    comparison = compare(base, variant, variant_name="Plan")
    row = comparison.figures("fgz")
    # in reach before 50 + 40 + 30 = 120, after 50 + 160 + 20 = 230; in need 70 → 180
    assert row[["reached_before", "reached_after", "reached_change"]].tolist() == [120, 230, 110]
    assert row[["in_need_before", "in_need_after", "in_need_change"]].tolist() == [70, 180, 110]
    # Südpark's gap closes, one opens in Über der Höhe
    assert row[["gaps_before", "gaps_after", "gaps_closed", "gaps_opened", "left_out"]].tolist() == [1, 1, 1, 1, 0]
    d = comparison.districts
    assert d["reached_change"].tolist() == [0, 120, -10]
    assert d["share_after"].tolist() == [0.5, 0.8, 0.4]
    assert d["gap_before"].tolist() == [False, True, False] and d["gap_after"].tolist() == [False, False, True]
    assert comparison.chain_changes is None  # no configuration given
    assert headline(comparison, "fgz", target(variant, "fgz")) == (
        "+110 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 Versorgungslücke geschlossen, "
        "1 neue Versorgungslücke")


def test_chain_cells_that_changed():
    base, variant = result([0.5, 0.2, 0.6]), result([0.5, 0.8, 0.4])
    comparison = compare(base, variant, offer_types=catalog.read_offer_types(), phases=catalog.read_phases())
    changes = comparison.chain_changes
    assert changes[[settings.DISTRICT_ID, "phase", "state_before", "state_after"]].values.tolist() == [
        ["02", "grundschule", "✘", "✔"], ["03", "grundschule", "✔", "✘"]]
    assert changes["gap_before"].tolist() == [True, False] and changes["gap_after"].tolist() == [False, True]
    assert comparison.chain_before.phases.at["grundschule", "missing_in_need"] == 1
    assert comparison.chain_after.cells["state"].tolist() == ["✔", "✔", "✘"]


def test_two_scenarios_matched_by_district_id():
    """A second scenario in another row order compares the same way; other districts are refused."""
    first, second = result([0.5, 0.8, 0.4]), result([0.9, 0.8, 0.7], reverse=True)
    comparison = compare(first, second, base_name="Plan A", variant_name="Plan B")
    assert comparison.districts["reached_change"].tolist() == [40, 0, 15]
    assert comparison.figures("fgz")[["gaps_closed", "gaps_opened"]].tolist() == [1, 0]
    assert headline(comparison, "fgz", "Kinder") == "+55 Kinder in Reichweite, 1 Versorgungslücke geschlossen"
    other = result([0.5, 0.8, 0.4])
    other.districts.loc[2, settings.DISTRICT_ID] = "04"
    with pytest.raises(ValueError, match="same districts"):
        compare(first, other)


def test_headline_words_big_and_negative_numbers():
    big = compare(result([0.0, 0.0, 0.0], (2480, 2480, 600)), result([0.0, 0.25, 0.5], (2480, 2480, 600)))
    assert headline(big, "fgz", "Kinder") == "+920 Kinder in Reichweite, 1 Versorgungslücke geschlossen"
    big = compare(result([0.0, 0.0, 0.0], (2480, 2480, 600)), result([0.0, 0.5, 0.5], (2480, 2480, 600)))
    assert headline(big, "fgz", "Kinder") == "+1.540 Kinder in Reichweite, 2 Versorgungslücken geschlossen"
    worse = compare(result([0.5, 0.8, 0.6]), result([0.2, 0.8, 0.6]))
    assert headline(worse, "fgz", "Kinder") == "\u221230 Kinder in Reichweite, keine Versorgungslücke geschlossen"
    same = compare(result([0.5, 0.8, 0.6]), result([0.5, 0.8, 0.6]))
    assert headline(same, "fgz", "Kinder") == "±0 Kinder in Reichweite, keine Versorgungslücke geschlossen"


def test_small_numbers_stay_protected():
    """Über der Höhe has 2 children 6–10: its share is '•' and it is left out of the totals (rule 6)."""
    base, variant = result([0.5, 0.2, 0.5], (100, 200, 2)), result([0.5, 0.8, 1.0], (100, 200, 2))
    comparison = compare(base, variant)
    row = comparison.figures("fgz")
    assert row[["reached_before", "reached_after", "left_out"]].tolist() == [90, 210, 1]
    shown = protected_districts(comparison)
    assert shown["share_before"].tolist() == [0.5, 0.2, "•"] and shown["reached_change"].tolist() == [0, 120, "•"]
    assert comparison.districts["share_code"].tolist() == ["", "", "•"]
    assert headline(comparison, "fgz", "Kinder") == (
        "+120 Kinder in Reichweite, 1 Versorgungslücke geschlossen (1 Sozialraum aus Datenschutzgründen nicht "
        "mitgezählt)")


def test_the_first_offers_of_a_type():
    """Bestand without any FGZ (the type is not analysed there): no one in reach, both districts in need are gaps."""
    base = result([0.5, 0.2, 0.6])
    base = Result(**{**base.__dict__, "districts": base.districts.drop(columns=[c for c in base.districts
                                                                               if c.endswith("__fgz")]),
                     "offer_types": []})
    comparison = compare(base, result([0.5, 0.8, 0.4]))
    row = comparison.figures("fgz")
    assert row[["reached_before", "reached_after", "gaps_before", "gaps_after", "gaps_closed", "gaps_opened"]]\
        .tolist() == [0, 230, 2, 1, 1, 0]
    assert comparison.districts["share_before"].tolist() == [0, 0, 0]
    assert headline(comparison, "fgz", "Kinder") == "+230 Kinder in Reichweite, 1 Versorgungslücke geschlossen"
    back = compare(result([0.5, 0.8, 0.4]), base)  # closing every FGZ
    assert back.figures("fgz")[["reached_change", "gaps_opened"]].tolist() == [-230, 1]
