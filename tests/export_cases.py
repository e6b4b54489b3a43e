"""Hand-computable data sets for the export, print-map and report tests (not a test module itself).

``small_case()``: four 1 km × 1 km districts in a row (EPSG:25832), one FGZ in the centre of D2, radius 600 m.

=====  ===========  ========  ==============================  ===================  =====================
id     inhabitants  children  where the children live          without reach (600)  expected display
=====  ===========  ========  ==============================  ===================  =====================
D1     500          2         2 at (500, 500): 1000 m away     2                    children "< 3",
                                                                                    without "< 3", share •
D2     600          100       98 at the offer, 2 at 636 m      2                    without "< 3", share •
D3     700          50        1 at 550 m, 49 at 1400 m         49 (in reach: 1)     without •, share •
D4     100          40        40 at 2000 m                     40                   shown; not classified
=====  ===========  ========  ==============================  ===================  =====================

The case's FGZ is measured for all children 0–17 within its radius (:func:`children_offer_types`), as the table
is computed; the target groups and reach models of the Präventionskette have their own tests
(``tests/test_targets.py``, ``tests/test_reach_models.py``).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from geo import catalog, settings
from geo.analysis import Params, analyse
from geo.dataset import Dataset

X0, Y0 = 400_000.0, 5_700_000.0
RADIUS = 600.0
NAMES = ["Nordhof", "Süderfeld", "Ölbach", "@Gewerbe"]  # the last one must be neutralised in CSV/XLSX


def children_offer_types():
    """The built-in offer types with the FGZ measured for all children 0–17 within its radius (the table above)."""
    types = catalog.read_offer_types()
    types.loc["fgz", ["target", "reach_model", "host_type"]] = ["0-18", "radius", ""]
    return types


def small_case() -> Dataset:
    ids = ["D1", "D2", "D3", "D4"]
    districts = gpd.GeoDataFrame(
        {
            settings.DISTRICT_ID: ids,
            settings.DISTRICT_NAME: NAMES,
            settings.AREA_ID: ["01", "01", "02", "02"],
            settings.AREA_NAME: ["West", "West", "Ost", "Ost"],
        },
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(4)],
        crs="EPSG:25832",
    )
    indicators = pd.DataFrame(
        {
            settings.DISTRICT_ID: ids,
            settings.YEAR: 2024,
            settings.INHABITANTS: [500, 600, 700, 100],
            settings.CHILDREN: [2, 100, 50, 40],
            "sgb2_children_quota": [10.0, 20.0, 40.0, 5.0],
            "unemployment_rate": [4.0, 8.0, 14.0, 3.0],
            "single_parent_share": [15.0, 20.0, 30.0, 10.0],
        }
    )
    blocks = [  # (district, x, y, children)
        ("D1", 500, 500, 2),
        ("D2", 1500, 500, 98),
        ("D2", 1050, 50, 2),
        ("D3", 2050, 500, 1),
        ("D3", 2900, 500, 49),
        ("D4", 3500, 500, 40),
    ]
    residents = gpd.GeoDataFrame(
        {
            "block_id": [f"B{i}" for i in range(len(blocks))],
            settings.DISTRICT_ID: [b[0] for b in blocks],
            settings.INHABITANTS: [b[3] * 5 for b in blocks],
            settings.CHILDREN: [b[3] for b in blocks],
        },
        geometry=[Point(X0 + b[1], Y0 + b[2]) for b in blocks],
        crs="EPSG:25832",
    )
    offers = gpd.GeoDataFrame(
        {
            settings.OFFER_ID: ["FGZ-01"],
            settings.OFFER_TYPE: ["fgz"],
            settings.OFFER_NAME: ["FGZ Grundschule Süderfeld"],
            settings.OFFER_ADDRESS: ["=Schulweg 1"],
            settings.OFFER_CAPACITY: [40.0],
        },
        geometry=[Point(X0 + 1500, Y0 + 500)],
        crs="EPSG:25832",
    )
    return Dataset(
        districts=districts,
        indicators=indicators,
        offers=offers,
        residents=residents,
        offer_types=children_offer_types(),
        indicator_definitions=catalog.read_indicator_definitions(),
        source="Testfall Kleinstadt (handgebaut)",
        synthetic=False,
        versions={"Sozialräume": "Sozialräume v1 (test.gpkg)", "Angebote": "Angebote v2 (fgz.csv)"},
    )


def small_result(dataset: Dataset | None = None):
    return analyse(dataset or small_case(), Params(radii={"fgz": RADIUS}))


#: Text that Excel (and LibreOffice) would run as a formula, in every place user or configuration text lands.
FORMULA_DISTRICT, FORMULA_AREA, FORMULA_INDICATOR = "=1+1", "+Bezirk West", "=HYPERLINK(\"http://x\")"


def formula_case() -> Dataset:
    """:func:`small_case` with a district name, an area (Stadtbezirk) name and an indicator name that start
    like a formula: D1 is called ``=1+1``, D1 and D2 lie in ``+Bezirk West``, the SGB-II quota is labelled
    ``=HYPERLINK(…)``."""
    dataset = small_case()
    districts = dataset.districts.copy()
    districts.loc[0, settings.DISTRICT_NAME] = FORMULA_DISTRICT
    districts.loc[[0, 1], settings.AREA_NAME] = FORMULA_AREA
    definitions = dataset.indicator_definitions.copy()
    definitions.loc["sgb2_children_quota", ["label", "unit"]] = [FORMULA_INDICATOR, ""]
    return dataset.with_layers(districts=districts, indicator_definitions=definitions)
