"""Hand-computable two-year data sets for the Dynamik export and report tests (not a test module itself).

``two_year_case()`` is :func:`tests.export_cases.small_case` with a 2022 table beside its 2024 one. Changes
2022 → 2024 (percentage points):

=====  ===========  ==========  ============  ==============  ======================================
id     inhabitants  SGB II      unemployment  single parents  Dynamik
=====  ===========  ==========  ============  ==============  ======================================
D1     500          12 → 10: −2  4 → 4: 0      15 → 15: 0      index −0,77: stabil
D2     600          20 → 20: 0   8 → 8: 0      20 → 20: 0      index −0,64: stabil
D3     700          30 → 40: +10 10 → 14: +4   26 → 30: +4     index +1,41: negativ
D4     100          5 → 5: 0     3 → 3: 0      10 → 10: 0      no class: fewer than 300 inhabitants
=====  ===========  ==========  ============  ==============  ======================================

By hand, over D1–D3 (population standard deviation): SGB II z = (−0,889, −0,508, 1,397), unemployment and single
parents z = (−0,707, −0,707, 1,414) each; sums (−2,303, −1,922, 4,225), standardised (−0,770, −0,642, 1,412).

``hostile_case()`` gives the districts names that are formulas, mathtext and template code, and adds indicators
whose names collide with the export's own columns and GeoPackage fields ("Gesamtindex", "FID", "geom", "Größe ł").
"""

from __future__ import annotations

import pandas as pd

from geo import settings
from geo.analysis import Params, analyse
from geo.dataset import Dataset
from tests.export_cases import RADIUS, small_case

BEFORE = {"sgb2_children_quota": [12.0, 20.0, 30.0, 5.0], "unemployment_rate": [4.0, 8.0, 10.0, 3.0],
          "single_parent_share": [15.0, 20.0, 26.0, 10.0]}
#: By hand (module docstring): the Dynamik index per district, rounded to 2 decimals; D4 has none.
INDEX = {"D1": -0.77, "D2": -0.64, "D3": 1.41}
CLASSES = {"D1": "stabil", "D2": "stabil", "D3": "negativ", "D4": "nicht klassifiziert"}
#: District names that must arrive as written (formula, mathtext, Jinja, markup).
HOSTILE = {"D1": "=1+1", "D2": "$x^2$ {{7*191}}", "D3": "<b>Ölbach</b> & Co"}
#: Indicators (key, label) whose names collide with the export's columns and fields.
COLLIDING = [("gesamtindex", "Gesamtindex"), ("fid", "FID"), ("geom", "geom"), ("größe_ł", "Größe ł")]


def two_year_case() -> Dataset:
    dataset = small_case()
    now = dataset.indicators
    before = now.copy()
    before[settings.YEAR] = 2022
    for key, values in BEFORE.items():
        before[key] = values
    return dataset.with_layers(indicators=pd.concat([before, now], ignore_index=True))


def hostile_case() -> Dataset:
    dataset = two_year_case()
    districts = dataset.districts.copy()
    districts[settings.DISTRICT_NAME] = districts[settings.DISTRICT_ID].map(HOSTILE).fillna(
        districts[settings.DISTRICT_NAME])
    indicators = dataset.indicators.copy()
    definitions = dataset.indicator_definitions.copy()
    template = definitions.iloc[0]
    for i, (key, label) in enumerate(COLLIDING):
        indicators[key] = [1.0 + i, 2.0 + i, 3.0 + i, 4.0 + i] * 2
        row = template.copy()
        row["label"], row["unit"], row["in_index"], row["weight"], row["description"] = label, "", False, 0.0, ""
        if "in_dynamic" in row:
            row["in_dynamic"], row["dynamic_weight"] = False, 0.0
        definitions.loc[key] = row
    return dataset.with_layers(districts=districts, indicators=indicators, indicator_definitions=definitions)


def analysed(dataset: Dataset):
    return analyse(dataset, Params(radii={"fgz": RADIUS}))
