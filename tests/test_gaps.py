"""Gap ranking and the plain-German reasons."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from geo import catalog
from geo.analysis.gaps import rank_gaps, reason
from geo.formatting import format_distance


@pytest.mark.parametrize(
    ("metres", "text"), [(800, "800 m"), (1000, "1 km"), (1500, "1,5 km"), (12_345, "12,3 km"), (math.inf, "–")]
)
def test_format_distance(metres, text):
    assert format_distance(metres) == text


def test_reason_reads_like_the_issue_asks():
    assert reason(0.38, 1000, "vom nächsten FGZ", 1400) == (
        "62 % der Kinder wohnen weiter als 1 km vom nächsten FGZ (die Hälfte der Kinder hat mehr als 1,4 km Weg)"
    )
    assert reason(0.8, 1500, "vom nächsten Familienbüro", 300) == (
        "20 % der Kinder wohnen weiter als 1,5 km vom nächsten Familienbüro"
    )
    assert reason(0.0, 800, "vom nächsten FGZ", math.inf).startswith("Es gibt kein Angebot dieser Art")
    assert reason(math.nan, 800, "x", math.nan) == "Keine Wohnorte von Kindern im Sozialraum bekannt"


def test_rank_orders_gaps_by_people_without_reach():
    districts = pd.DataFrame(
        {
            "district_id": ["01", "02", "03", "04"],
            "district_name": ["Altstadt", "Südpark", "Hafen", "Wald"],
            "children": [100.0, 400.0, 300.0, 50.0],
            "status_class": ["Status niedrig", "Status sehr niedrig", "Status mittel", "Status niedrig"],
            "status_index": [1.2, 2.0, 0.1, 1.1],
        }
    )
    reach = {
        "fgz": pd.DataFrame(
            {"share_in_reach": [0.1, 0.4, 0.0, 0.9], "median_distance_m": [2000.0, 1300, 5000, 200],
             "offers_inside": [0, 1, 0, 2]},
            index=["01", "02", "03", "04"],
        )
    }
    ranked = rank_gaps(districts, reach=reach, offer_types=catalog.read_offer_types(), radii={"fgz": 1000.0})
    # Only districts in need appear (03 is "mittel"); gaps first, by children without reach: 02 (240) > 01 (90).
    assert ranked["district_id"].tolist() == ["02", "01", "04"]
    assert ranked["without_reach"].tolist() == [240, 90, 5]
    assert ranked["is_gap"].tolist() == [True, True, False]
    assert ranked["reason"].iloc[0].startswith("60 % der Kinder wohnen weiter als 1 km vom nächsten FGZ")
