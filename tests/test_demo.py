"""The demo city: deterministic, plausible in size, consistent with the committed files."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import demo, settings


@pytest.fixture(scope="module")
def generated():
    return demo.generate()


def test_generator_is_deterministic(generated):
    again = demo.generate()
    for name, frame in generated.items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), again[name].reset_index(drop=True))


def test_committed_files_match_the_generator(generated):
    ds = demo.load_demo()
    assert ds.districts[settings.DISTRICT_ID].tolist() == generated["districts"][settings.DISTRICT_ID].tolist()
    assert ds.offers[settings.OFFER_ID].tolist() == generated["offers"][settings.OFFER_ID].tolist()
    assert ds.residents[settings.CHILDREN].sum() == generated["residents"][settings.CHILDREN].sum()


def test_shape_and_scale(generated):
    d, ind, res, off = (generated[k] for k in ("districts", "indicators", "residents", "offers"))
    assert 50 <= len(d) <= 60
    assert d[settings.AREA_ID].nunique() == 8
    assert d[settings.DISTRICT_ID].str.fullmatch(r"0[1-8]\d\d").all()
    assert d.geometry.is_valid.all() and d.crs.to_epsg() == 25832
    assert sorted(ind[settings.YEAR].unique()) == [2023, 2024]
    latest = ind[ind[settings.YEAR] == 2024]
    assert 280_000 <= latest[settings.INHABITANTS].sum() <= 320_000
    assert (latest[settings.INHABITANTS] < 300).sum() == 3
    assert 2_500 <= len(res) <= 4_000
    # Residents add up exactly to the latest year's totals per district.
    by_block = res.groupby(settings.DISTRICT_ID)[[settings.INHABITANTS, settings.CHILDREN]].sum()
    by_table = latest.set_index(settings.DISTRICT_ID)[[settings.INHABITANTS, settings.CHILDREN]]
    pd.testing.assert_frame_equal(by_block.sort_index(), by_table.sort_index(), check_dtype=False)
    counts = off[settings.OFFER_TYPE].value_counts().to_dict()
    assert counts == {"fgz": 20, "familienbuero": 10, "lotsendienst": 2, "geburtsklinik": 2}


def test_deprivation_is_spatially_clustered(generated):
    """Neighbouring districts' SGB-II quotas correlate (Moran-like check on shared borders)."""
    d = generated["districts"]
    quota = generated["indicators"].query("year == 2024").set_index(settings.DISTRICT_ID)["sgb2_children_quota"]
    pairs = [
        (quota[a], quota[b])
        for i, a in enumerate(d[settings.DISTRICT_ID])
        for j, b in enumerate(d[settings.DISTRICT_ID])
        if i < j and d.geometry.iloc[i].touches(d.geometry.iloc[j])
    ]
    left, right = zip(*pairs, strict=True)
    assert pd.Series(left).corr(pd.Series(right)) > 0.5


@pytest.mark.parametrize(
    ("reader", "columns", "what"),
    [
        ("read_offer_types", "OFFER_TYPE_COLUMNS", "Angebotsarten-Tabelle"),
        ("read_indicator_definitions", "INDICATOR_COLUMNS", "Indikatoren-Tabelle"),
    ],
)
def test_a_config_table_without_its_columns_is_refused_naming_them(tmp_path, reader, columns, what):
    from geo import catalog
    from geo._errors import DataError

    wanted = list(getattr(catalog, columns))
    path = tmp_path / "tabelle.csv"
    path.write_text(";".join(wanted[:1]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"Spalten fehlen in der {what}: {', '.join(wanted[1:])}$"):
        getattr(catalog, reader)(path)
