"""Status index: hand-computed z-scores, classes and the 300-inhabitant rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo import catalog
from geo._errors import DataError
from geo.analysis.need import NOT_CLASSIFIED, classify, status_index

DEFS = pd.DataFrame(
    {"direction": [1, -1], "weight": [1.0, 1.0], "in_index": [True, True]}, index=["a", "b"]
)
Z4 = 1.5 / math.sqrt(1.25)  # z of 4 in [1, 2, 3, 4]: (4 - 2.5) / population std sqrt(1.25)


def table(a, b, inhabitants):
    return pd.DataFrame({"inhabitants": inhabitants, "a": a, "b": b})


def test_single_indicator_by_hand():
    out = status_index(table([1, 2, 3, 4], [0, 0, 0, 0], [500] * 4), definitions=DEFS, weights={"a": 1})
    assert out["z_a"].to_numpy() == pytest.approx([-Z4, -Z4 / 3, Z4 / 3, Z4])
    # One indicator: the re-standardised sum is the z-score itself.
    assert out["status_index"].to_numpy() == pytest.approx([-Z4, -Z4 / 3, Z4 / 3, Z4])
    assert list(out["status_class"]) == ["Status hoch", "Status mittel", "Status mittel", "Status niedrig"]


def test_direction_minus_one_turns_indicator_around():
    # b falls where a rises; with direction -1 both point the same way and the index equals z(a).
    out = status_index(table([1, 2, 3, 4], [4, 3, 2, 1], [500] * 4), definitions=DEFS)
    assert out["z_b"].to_numpy() == pytest.approx(out["z_a"].to_numpy())
    assert out["index_sum"].to_numpy() == pytest.approx(2 * out["z_a"].to_numpy())
    assert out["status_index"].to_numpy() == pytest.approx([-Z4, -Z4 / 3, Z4 / 3, Z4])


def test_weights_change_the_sum():
    out = status_index(table([1, 2, 3, 4], [1, 1, 1, 2], [500] * 4), definitions=DEFS, weights={"a": 2, "b": 1})
    z_b = np.array([1, 1, 1, -3]) / math.sqrt(0.1875) * 0.25  # b = [1,1,1,2]: mean 1.25, std sqrt(0.1875)
    assert out["index_sum"].to_numpy() == pytest.approx(2 * out["z_a"].to_numpy() + z_b)


def test_small_districts_are_left_out_of_standardisation_and_classes():
    # The 5th district has 120 inhabitants and an extreme value: it must not shift the others.
    out = status_index(table([1, 2, 3, 4, 100], [0] * 5, [500, 500, 500, 500, 120]), definitions=DEFS,
                       weights={"a": 1})
    assert out["z_a"].iloc[:4].to_numpy() == pytest.approx([-Z4, -Z4 / 3, Z4 / 3, Z4])
    assert out["status_class"].iloc[4] == NOT_CLASSIFIED
    assert not out["classified"].iloc[4]
    assert out["status_index"].iloc[4] > 10  # computed, but not classified


@pytest.mark.parametrize(
    ("value", "label"),
    [(-1.01, "Status hoch"), (-1.0, "Status mittel"), (0.99, "Status mittel"), (1.0, "Status niedrig"),
     (1.49, "Status niedrig"), (1.5, "Status sehr niedrig"), (3.0, "Status sehr niedrig")],
)
def test_class_bounds(value, label):
    assert classify([value]).iloc[0] == label


def test_errors_are_german_and_specific():
    with pytest.raises(DataError, match="kein Indikator"):
        status_index(table([1, 2], [1, 2], [500, 500]), definitions=DEFS, weights={"a": 0})
    with pytest.raises(DataError, match="fehlen.*c"):
        status_index(table([1, 2], [1, 2], [500, 500]), definitions=DEFS, weights={"c": 1})
    with pytest.raises(DataError, match="Zu wenige Sozialräume"):
        status_index(table([1, 2], [1, 2], [500, 100]), definitions=DEFS, weights={"a": 1})


def test_configured_definitions_drive_the_default_weights(indicators):
    out = status_index(indicators, definitions=catalog.read_indicator_definitions())
    assert [c for c in out.columns if c.startswith("z_")] == [
        "z_sgb2_children_quota", "z_unemployment_rate", "z_single_parent_share"
    ]
    assert out["status_index"].idxmax() == 1  # district B
