"""The demo city: deterministic, plausible in size, consistent with the committed files."""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import demo, settings
from geo.analysis.hosts import host_facilities

BANDS = [settings.age_column(low, high) for low, high in demo.AGE_BANDS]


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
    pd.testing.assert_frame_equal(ds.indicators, generated["indicators"], check_dtype=False)
    pd.testing.assert_frame_equal(ds.sozialindex, generated["sozialindex"])
    assert ds.residents[[*BANDS, settings.BIRTHS]].sum().tolist() == \
        generated["residents"][[*BANDS, settings.BIRTHS]].sum().tolist()


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
    assert counts == {"grundschule": 45, "fgz": 20, "familienbuero": 10, "lotsendienst": 2, "geburtsklinik": 2}


def _fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a frame's values (geometry as WKB), as read from the committed files."""
    frame = pd.DataFrame(frame).copy()
    if "geometry" in frame:
        frame["geometry"] = gpd.GeoSeries(frame["geometry"]).to_wkb(hex=True)
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()[:16]


def test_the_layers_of_the_first_demo_are_unchanged():
    """Age bands, births, Grundschulen and Sozialindex came later, from random streams of their own: every earlier
    district, residents block, offer and indicator value is as before (hashes of the files before they came)."""
    ds = demo.load_demo()
    old_indicators = [settings.DISTRICT_ID, settings.YEAR, settings.INHABITANTS, settings.CHILDREN,
                      "sgb2_children_quota", "unemployment_rate", "single_parent_share"]
    old_residents = ["block_id", settings.DISTRICT_ID, settings.INHABITANTS, settings.CHILDREN, "geometry"]
    first_offers = ds.offers.head(34)
    assert first_offers[settings.OFFER_TYPE].ne("grundschule").all()
    assert {
        "districts": _fingerprint(ds.districts),
        "residents": _fingerprint(ds.residents[old_residents]),
        "offers": _fingerprint(first_offers),
        "indicators": _fingerprint(ds.indicators[old_indicators]),
    } == {
        "districts": "e8eb08b7574c2833", "residents": "be9092fdf8ae9e92", "offers": "48c079823855c052",
        "indicators": "e41bb52b052d6c4d",
    }


def test_age_bands_add_up_to_the_children_and_births_are_plausible(generated):
    ind = generated["indicators"]
    assert list(ind.columns[:9]) == [settings.DISTRICT_ID, settings.YEAR, settings.INHABITANTS, settings.CHILDREN,
                                     "age_0_3", "age_3_6", "age_6_10", "age_10_18", settings.BIRTHS]
    assert (ind[BANDS].sum(axis=1) == ind[settings.CHILDREN]).all()
    assert (ind[[*BANDS, settings.BIRTHS]].dtypes == "int64").all() and (ind[BANDS] >= 0).all().all()
    big = ind[ind[settings.CHILDREN] >= 500]
    share = big[BANDS].div(big[settings.CHILDREN], axis=0)
    # A plausible German age structure: 3 of 18 years ≈ 16–17 %, 4 years ≈ 22 %, 8 years ≈ 44 %.
    assert share.mean().round(2).tolist() == pytest.approx([0.17, 0.17, 0.22, 0.44], abs=0.015)
    births = big[settings.BIRTHS] / big[settings.CHILDREN]
    assert births.between(1 / 30, 1 / 12).all() and births.mean() == pytest.approx(1 / 18, rel=0.1)
    # Deprived districts are younger: more children under 3 where the SGB-II quota is high.
    young = ind["age_0_3"] / ind[settings.CHILDREN].where(ind[settings.CHILDREN] > 0)
    assert young.corr(ind["sgb2_children_quota"]) > 0.3


def test_residents_blocks_carry_the_bands_adding_up_per_block_and_per_district(generated):
    res = generated["residents"]
    assert list(res.columns) == ["block_id", settings.DISTRICT_ID, settings.INHABITANTS, settings.CHILDREN, *BANDS,
                                 settings.BIRTHS, "geometry"]
    assert (res[BANDS].sum(axis=1) == res[settings.CHILDREN]).all()
    latest = generated["indicators"].query("year == 2024").set_index(settings.DISTRICT_ID)[[*BANDS, settings.BIRTHS]]
    by_block = res.groupby(settings.DISTRICT_ID)[[*BANDS, settings.BIRTHS]].sum()
    pd.testing.assert_frame_equal(by_block.sort_index(), latest.sort_index(), check_dtype=False)


def test_a_grundschule_stands_at_every_fgz_and_more_without_one(generated):
    off = generated["offers"]
    schools = off[off[settings.OFFER_TYPE] == "grundschule"]
    fgz = off[off[settings.OFFER_TYPE] == "fgz"]
    assert 35 <= len(schools) <= 45 and schools[settings.OFFER_ID].is_unique
    assert schools[settings.OFFER_ID].str.fullmatch(r"19\d{4}").all()
    assert schools[settings.OFFER_NAME].str.match(r"(Grundschule|GGS|KGS|Städt\. Gemeinschaftsgrundschule) ").all()
    assert schools[settings.OFFER_ADDRESS].str.endswith(tuple(f"{demo.CITY_NAME}-{n}" for n in
                                                               generated["districts"][settings.DISTRICT_NAME])).all()
    # Same coordinates as the FGZ; the FGZ keeps its own id, the school has its address and "Grundschule <Ort>".
    def table(frame: gpd.GeoDataFrame, prefix: str) -> pd.DataFrame:
        return pd.DataFrame({"x": frame.geometry.x, "y": frame.geometry.y, f"{prefix}id": frame[settings.OFFER_ID],
                             f"{prefix}name": frame[settings.OFFER_NAME],
                             f"{prefix}address": frame[settings.OFFER_ADDRESS]})

    at = table(schools, "").merge(table(fgz, "fgz_"), on=["x", "y"])
    assert len(at) == len(fgz) == 20 and at["fgz_id"].is_unique and not at["id"].isin(fgz[settings.OFFER_ID]).any()
    assert (at["name"] == at["fgz_name"].str.removeprefix("FGZ ")).all()
    assert (at["address"] == at["fgz_address"]).all()
    hosts = host_facilities(off, offer_type="fgz", host_type="grundschule")
    assert len(hosts) == 45 and hosts["runs_offer"].sum() == 20
    assert sorted(hosts.loc[hosts["runs_offer"], "offer_ids"]) == sorted(fgz[settings.OFFER_ID])


def test_every_school_has_a_sozialindex_following_the_need_where_it_stands(generated):
    off, index = generated["offers"], generated["sozialindex"]
    schools = off[off[settings.OFFER_TYPE] == "grundschule"]
    assert list(index.columns) == [settings.SCHOOL_ID, settings.SOZIALINDEX]
    assert index[settings.SOZIALINDEX].dtype == np.int64
    assert sorted(index[settings.SCHOOL_ID]) == sorted(schools[settings.OFFER_ID])
    assert index[settings.SOZIALINDEX].between(1, 9).all() and index[settings.SOZIALINDEX].nunique() >= 7
    quota = generated["indicators"].query("year == 2024").set_index(settings.DISTRICT_ID)["sgb2_children_quota"]
    located = gpd.sjoin(schools, generated["districts"][[settings.DISTRICT_ID, "geometry"]], predicate="within")
    joined = located.merge(index, left_on=settings.OFFER_ID, right_on=settings.SCHOOL_ID)
    assert joined[settings.SOZIALINDEX].corr(joined[settings.DISTRICT_ID].map(quota), method="spearman") > 0.7
    # "Grundschulen mit Sozialindex ≥ 6 ohne FGZ" is not empty: three schools in deprived areas lack one.
    hosts = host_facilities(off, offer_type="fgz", host_type="grundschule").merge(
        index, left_on=settings.OFFER_ID, right_on=settings.SCHOOL_ID)
    high = hosts[(hosts[settings.SOZIALINDEX] >= settings.SOZIALINDEX_HIGH) & ~hosts["runs_offer"]]
    assert sorted(high[settings.OFFER_NAME]) == ["GGS Buchenhain", "GGS Eichkamp",
                                                  "Städt. Gemeinschaftsgrundschule Weidenau"]
    assert hosts.loc[hosts["runs_offer"], settings.SOZIALINDEX].mean() > 2 * hosts.loc[~hosts["runs_offer"],
                                                                                       settings.SOZIALINDEX].mean()


def test_the_demo_loads_its_sozialindex():
    ds = demo.load_demo()
    assert ds.sozialindex is not None and len(ds.sozialindex) == 45
    assert ds.sozialindex[settings.SOZIALINDEX].dtype == "int64"
    assert pd.api.types.is_string_dtype(ds.sozialindex[settings.SCHOOL_ID])
    assert ds.sozialindex[settings.SCHOOL_ID].isin(set(ds.offers[settings.OFFER_ID])).all()
    text = (settings.DEMO_DIR / demo.SOZIALINDEX_NAME).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "school_id;sozialindex"


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
