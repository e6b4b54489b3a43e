"""The whole analysis on hand-built data and on the demo city."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import catalog, settings
from geo._errors import DataError
from geo.analysis import RESIDENTS_FROM_GRID, Params, analyse, column
from geo.demo import load_demo


def test_small_dataset_end_to_end(small_dataset):
    result = analyse(small_dataset, Params(radii={"fgz": 800}))
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert result.offer_types == ["fgz"]
    assert d["status_class"].tolist() == ["Status mittel", "Status niedrig", "Status mittel"]
    assert d[column("share_in_reach", "fgz")].tolist() == pytest.approx([1.0, 0.2, 1.0])
    # The FGZ's target group, children 6–9, estimated as 4/18 of B's 250 children (the table has no age bands):
    # 55.6, of whom 80 % live out of reach.
    assert d.loc["02", column("target", "fgz")] == pytest.approx(250 * 4 / 18)
    assert d.loc["02", column("without_reach", "fgz")] == 44
    assert d[column("gap", "fgz")].tolist() == [False, True, False]
    assert result.key_figures["population_in_need"] == 250
    assert result.key_figures[column("in_need_reached", "fgz")] == pytest.approx(250 * 4 / 18 * 0.2)
    gap = result.gaps.iloc[0]
    assert (gap["district_name"], gap["is_gap"]) == ("Südpark", True)
    assert gap["reason"].startswith(
        "80 % der Kinder von 6 bis unter 10 Jahren wohnen weiter als 800 m vom nächsten FGZ")
    # the sidebar's choice measures it for all children 0–17 again: 250 × 0.8
    children = analyse(small_dataset, Params(radii={"fgz": 800}, population=settings.CHILDREN))
    assert children.districts.set_index(settings.DISTRICT_ID).loc["02", column("without_reach", "fgz")] == 200


def test_analysis_reprojects_geographic_input(small_dataset):
    metric = analyse(small_dataset, Params(radii={"fgz": 800}))
    wgs84 = small_dataset.with_layers(
        districts=small_dataset.districts.to_crs(4326), offers=small_dataset.offers.to_crs(4326),
        residents=small_dataset.residents.to_crs(4326),
    )
    again = analyse(wgs84, Params(radii={"fgz": 800}))
    pd.testing.assert_series_equal(
        again.districts[column("share_in_reach", "fgz")], metric.districts[column("share_in_reach", "fgz")]
    )
    assert again.districts.crs.to_epsg() == 25832


def test_layer_without_crs_is_refused(small_dataset):
    naive = small_dataset.districts.set_crs(None, allow_override=True)
    with pytest.raises(DataError, match="kein Koordinatensystem"):
        analyse(small_dataset.with_layers(districts=naive))


def test_without_residents_layer_children_are_spread_on_a_grid(small_dataset):
    result = analyse(small_dataset.with_layers(residents=None), Params(radii={"fgz": 250}))
    assert result.residents_source == RESIDENTS_FROM_GRID
    share = result.districts.set_index(settings.DISTRICT_ID)[column("share_in_reach", "fgz")]
    assert share["02"] == 0.0  # B's cells are all farther than 250 m from both offers
    assert share["01"] == pytest.approx(share["03"])


def test_unknown_year_is_a_clear_error(small_dataset):
    with pytest.raises(DataError, match="Jahr 1999"):
        analyse(small_dataset, Params(year=1999))


def test_indicator_ids_that_match_no_district_are_a_clear_error(small_dataset):
    wrong = small_dataset.indicators.assign(district_id=["1", "2", "3"])
    with pytest.raises(DataError, match="Keine Sozialraum-Nr. der Indikatorentabelle"):
        analyse(small_dataset.with_layers(indicators=wrong))


def test_a_new_offer_type_needs_only_a_config_row(small_dataset, tmp_path):
    table = catalog.read_offer_types().reset_index()
    new = {c: "" for c in table.columns} | {
        "type": "elterncafe", "label": "Elterncafé", "short": "Elterncafé", "plural": "Elterncafés",
        "nearest_phrase": "vom nächsten Elterncafé", "radius_m": 500.0, "color": "#000000",
        "marker": "circle", "analysed": "ja",
    }
    table["analysed"] = table["analysed"].map({True: "ja", False: "nein"})
    path = tmp_path / "arten.csv"
    pd.concat([table, pd.DataFrame([new])]).to_csv(path, sep=";", index=False)
    offers = small_dataset.offers.assign(offer_type=["fgz", "elterncafe"])
    ds = small_dataset.with_layers(offer_types=catalog.read_offer_types(path), offers=offers)
    result = analyse(ds)
    assert result.offer_types == ["fgz", "elterncafe"]
    d = result.districts.set_index(settings.DISTRICT_ID)
    # The café sits in C; B's children are 700 m and 1,000 m away: none within 500 m.
    assert d[column("share_in_reach", "elterncafe")].tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert "vom nächsten Elterncafé" in result.gaps.query("offer_type == 'elterncafe'")["reason"].iloc[0]


def test_demo_analysis_has_gaps_for_every_main_offer_type():
    ds = load_demo()
    result = analyse(ds)
    assert result.year == 2024
    assert set(result.offer_types) == {"familienbuero", "fgz", "lotsendienst"}
    assert (result.districts["status_class"] == "nicht klassifiziert").sum() == 3
    assert result.gaps["is_gap"].sum() >= 3
    older = analyse(ds, Params(year=2023))
    assert older.year == 2023
    assert not older.districts["status_index"].equals(result.districts["status_index"])
