"""Tables and maps of a scenario comparison (geo.render.compare_tables, geo.render.web.compare_map), by hand.

Three 1 km squares A | B | C with FGZ in A and C (radius 800 m): in B only the 5 children at 700 m of the 25 are in
reach (20 %), so B – the district in need – is a gap. Scenario "Plan" adds an FGZ in B's centre: B then has 100 %.
The FGZ target group (6 to under 10) is 4/18 of the children: A 22.2, B 55.6, C 17.8.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo.analysis import Params, analyse
from geo.analysis.chain import chain_matrix
from geo.analysis.compare import compare, headline
from geo.analysis.protect import signed_count
from geo.analysis.scenarios import SCENARIO_COLUMNS, scenario_dataset
from geo.render import compare_tables as cmp
from geo.render import palette
from geo.render.web.compare_map import compare_data, compare_map
from geo.render.web.payload import features_of
from tests.conftest import xy

PARAMS = Params(radii={"fgz": 800.0})
HOSTILE = "<script>alert(1)</script> {{ 7*191 }} $x$"


def _edit(**fields) -> dict:
    row = {c: "" for c in SCENARIO_COLUMNS}
    row.update({"scenario": "Plan", settings.OFFER_CAPACITY: float("nan"), "x": float("nan"), "y": float("nan"),
                "source": "manual"})
    row.update(fields)
    return row


@pytest.fixture
def pair(small_dataset):
    """(dataset A, dataset B, result A, result B): B adds an FGZ named ``HOSTILE`` in the centre of district B."""
    x, y = xy(1500, 500)
    edits = pd.DataFrame([_edit(step=1.0, action="add", offer_id="S-1", offer_type="fgz", name=HOSTILE, x=x, y=y)])
    base = dataclasses.replace(small_dataset, scenarios=edits)
    variant, notes = scenario_dataset(base, "Plan")
    assert notes == []
    return base, variant, analyse(base, PARAMS), analyse(variant, PARAMS)


NAMES = {"fgz": "FGZ"}


def test_key_figures_and_the_headline(pair):
    _, _, ra, rb = pair
    comparison = compare(ra, rb)
    table = cmp.key_figure_table(comparison, ra, rb, NAMES)
    row = table.iloc[0]
    # A: 22.2 + 0.2 × 55.6 + 17.8 = 51.1; B: 22.2 + 55.6 + 17.8 = 95.6; in need only B: 11.1 → 55.6
    assert (row["A: in Reichweite"], row["B: in Reichweite"], row["Veränderung"]) == (51, 96, "+44")
    assert (row["A: davon hoher Bedarf"], row["B: davon hoher Bedarf"]) == (11, 56)
    assert (row["A: Versorgungslücken"], row["B: Versorgungslücken"], row["neu versorgt"], row["neue Lücken"]) == \
        (1, 0, 1, 0)
    assert row["nicht ausgewiesen"] == 0 and row["Zielgruppe"] == "Kinder von 6 bis unter 10 Jahren"
    assert headline(comparison, "fgz", cmp.target_words(ra, rb, "fgz")) == \
        "+44 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 Versorgungslücke geschlossen"
    # the other way round: the gap opens again
    assert headline(compare(rb, ra), "fgz", cmp.target_words(rb, ra, "fgz")) == \
        "\u221244 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 neue Versorgungslücke"


def test_district_changes_name_the_closed_gap(pair):
    _, _, ra, rb = pair
    table = cmp.district_changes(compare(ra, rb), ra, rb, NAMES)
    assert len(table) == 1  # A and C do not change
    row = table.iloc[0]
    assert (row["Sozialraum-Nr."], row["A: in Reichweite (%)"], row["B: in Reichweite (%)"]) == ("02", 20, 100)
    assert (row["Veränderung (Prozentpunkte)"], row["Veränderung (Personen)"], row["Versorgungslücke"]) == \
        ("+80", "+44", "neu versorgt")
    assert len(cmp.district_changes(compare(ra, rb), ra, rb, NAMES, only_changed=False)) == 3


def test_protected_shares_stay_hidden_and_out_of_the_sums(pair, monkeypatch):
    monkeypatch.setattr(settings, "MIN_COUNT_SHOWN", 20)
    # A: 22.2 children, all in reach: shown. B in A: 11.1 in reach (< 20) → "•". C: 17.8 children (< 20) → "•".
    _, dataset_b, ra, rb = pair
    comparison = compare(ra, rb)
    row = cmp.key_figure_table(comparison, ra, rb, NAMES).iloc[0]
    assert (row["A: in Reichweite"], row["B: in Reichweite"], row["Veränderung"], row["nicht ausgewiesen"]) == \
        (22, 22, "±0", 2)
    assert headline(comparison, "fgz", cmp.target_words(ra, rb, "fgz")).endswith(
        "(2 Sozialräume aus Datenschutzgründen nicht mitgezählt)")
    table = cmp.district_changes(comparison, ra, rb, NAMES)
    b = table.set_index("Sozialraum-Nr.").loc["02"]
    assert (b["A: in Reichweite (%)"], b["Veränderung (Prozentpunkte)"], b["Veränderung (Personen)"]) == \
        ("•", "•", "•")
    data = compare_data(ra, rb, pair[0], dataset_b, "fgz", cmp.offer_changes(pair[0].offers, dataset_b.offers),
                        side="difference", names=("Bestand", "Plan"))
    fills = [f["properties"]["fill"] for f in features_of(data["districts"])]
    assert fills == [palette.DIVERGING[2], palette.HIDDEN_COLOR, palette.HIDDEN_COLOR]
    assert "nicht ausgewiesen (Datenschutz) <span class='pa-n'>(2)</span>" in data["legend"]


def test_small_changes_of_people_are_protected():
    assert [signed_count(v) for v in (1240.4, -12.0, 0.3, 2.2, -1.6, 3.0)] == \
        ["+1.240", "\u221212", "±0", "+< 3", "\u2212< 3", "+3"]


def test_offer_changes_new_closed_moved_capacity(small_dataset):
    a = small_dataset.offers.assign(capacity=[10.0, 20.0])
    b = a.copy()
    b.loc[0, "geometry"] = b.loc[0, "geometry"].__class__(xy(500, 800))  # F1 300 m north
    b = b.drop(index=1)  # F2 closed
    extra = b.iloc[[0]].assign(offer_id="S-1", name="Neu", capacity=np.nan)
    b = pd.concat([b.assign(capacity=[15.0]), extra], ignore_index=True)
    changes = cmp.offer_changes(a, b)
    assert list(zip(changes[settings.OFFER_ID], changes["change"], strict=True)) == [
        ("S-1", "new"), ("F2", "closed"), ("F1", "moved")]
    shown = cmp.offer_change_table(changes, NAMES)
    assert list(shown["Änderung"]) == ["neu", "geschlossen", "verlegt"]
    assert shown["Verlegt um (m)"].tolist() == ["–", "–", 300]
    assert list(shown["Kapazität A → B"]) == ["– → –", "20 → –", "10 → 15"]
    only_capacity = cmp.offer_changes(a, a.assign(capacity=[10.0, 25.0]))
    assert list(only_capacity["change"]) == ["capacity"]
    assert cmp.offer_changes(a, a).empty


def test_the_chain_of_b_marks_the_changed_cell(pair):
    base, variant, ra, rb = pair
    table_a, table_b, phases = cmp.chain_pair(chain_matrix(ra, base.offer_types, base.phases),
                                              chain_matrix(rb, variant.offer_types, variant.phases))
    assert list(table_a["Sozialraum"]) == list(table_b["Sozialraum"])
    marked = {(r, h) for h in phases for r, v in zip(table_b["Sozialraum"], table_b[h], strict=True)
              if v.startswith(cmp.CHANGED_MARK)}
    assert len(marked) == 1 and next(iter(marked))[0] == "Südpark"
    (_, header), = marked
    b_row = table_b[table_b["Sozialraum"] == "Südpark"]
    a_row = table_a[table_a["Sozialraum"] == "Südpark"]
    assert a_row[header].iloc[0].startswith("✘ 20 %") and b_row[header].iloc[0] == f"{cmp.CHANGED_MARK} ✔ 100 %"
    assert (int(a_row["fehlende Glieder"].iloc[0]), int(b_row["fehlende Glieder"].iloc[0])) == (1, 0)


def test_the_maps_classes_marks_and_escaping(pair):
    base, variant, ra, rb = pair
    changes = cmp.offer_changes(base.offers, variant.offers)
    diff = compare_data(ra, rb, base, variant, "fgz", changes, side="difference", names=("Bestand", HOSTILE))
    fills = [f["properties"]["fill"] for f in features_of(diff["districts"])]
    assert fills == [palette.DIVERGING[2], palette.DIVERGING[4], palette.DIVERGING[2]]  # +80 pp in B only
    assert diff["types"]["__new__"]["count"] == 1 and "__closed__" not in diff["types"]
    assert [o[2] for o in diff["offers"]].count("__new__") == 1
    assert "mehr in Reichweite" in diff["legend"] and "(1)" in diff["legend"]
    side_a = compare_data(ra, rb, base, variant, "fgz", changes, side="a", names=("Bestand", HOSTILE))
    side_b = compare_data(ra, rb, base, variant, "fgz", changes, side="b", names=("Bestand", HOSTILE))
    colors = palette.reach_colors(len(palette.REACH_BOUNDS) + 1)
    assert [f["properties"]["fill"] for f in features_of(side_a["districts"])] == [colors[3], colors[0], colors[3]]
    assert [f["properties"]["fill"] for f in features_of(side_b["districts"])] == [colors[3]] * 3
    assert [f["properties"]["gap"] for f in features_of(side_a["districts"])] == [False, True, False]
    assert side_a["types"]["fgz"]["count"] == 2 and side_b["types"]["fgz"]["count"] == 3
    html = compare_map(ra, rb, base, variant, "fgz", changes, side="difference",
                       names=("Bestand", HOSTILE)).get_root().render()
    assert "1337" not in html and "<script>alert" not in html and "{{ 7*191 }}" not in html
    with pytest.raises(ValueError, match="Unknown side"):
        compare_data(ra, rb, base, variant, "fgz", changes, side="c", names=("A", "B"))


def test_closing_every_offer_shows_the_gap_in_b(pair):
    """B closes both FGZ of A: map B, the tables and the headline show district B (in need) as a gap, none reached."""
    base, _, ra, _ = pair
    closes = [_edit(step=float(i + 1), action="close", offer_id=str(o), offer_type="fgz")
              for i, o in enumerate(base.offers[settings.OFFER_ID])]
    closed, notes = scenario_dataset(dataclasses.replace(base, scenarios=pd.DataFrame(closes)), "Plan")
    assert notes == [] and closed.offers.empty
    rc = analyse(closed, PARAMS)
    assert "fgz" not in rc.offer_types  # analyse() leaves a type without offers out; compare() measures it
    comparison = compare(ra, rc)
    changes = cmp.offer_changes(base.offers, closed.offers)
    side_b = compare_data(ra, rc, base, closed, "fgz", changes, side="b", names=("Bestand", "Plan"))
    assert [f["properties"]["gap"] for f in features_of(side_b["districts"])] == [False, True, False]
    row = cmp.key_figure_table(comparison, ra, rc, NAMES).iloc[0]
    assert (row["A: in Reichweite"], row["B: in Reichweite"], row["neu versorgt"], row["neue Lücken"]) == (51, 0, 0, 0)
    assert headline(comparison, "fgz", cmp.target_words(ra, rc, "fgz")) == \
        "\u221251 Kinder von 6 bis unter 10 Jahren in Reichweite, keine Versorgungslücke geschlossen"


@pytest.mark.parametrize(("change", "expected"), [
    (-10.5, 0), (-10.0, 1), (-0.5, 1), (-0.4, 2), (0.0, 2), (0.5, 3), (10.0, 3), (10.1, 4), (float("nan"), -1)])
def test_change_classes(change, expected):
    assert palette.change_class(change) == expected
    assert len(palette.DIVERGING) == len(palette.CHANGE_LABELS) == 5
