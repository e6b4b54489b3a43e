"""Real formats from ../shared/data: NRW municipalities (EPSG:31467) with schools (EPSG:25832 and WGS84)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo import catalog, crs, settings
from geo.analysis import Params, analyse, column
from geo.analysis.access import assign_to_districts
from geo.dataset import Dataset
from tests.conftest import SHARED_DATA

VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"
SCHOOLS = SHARED_DATA / "nrw-schulen" / "schuldaten_2021.csv"
SOCIAL_INDEX = SHARED_DATA / "nrw-schulen" / "schulen_sozialindex_2024_25.csv"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not (VG5000.exists() and SCHOOLS.exists() and SOCIAL_INDEX.exists()),
        reason="../shared/data (VG5000, NRW school files) not present: real-data tests need the shared folder",
    ),
]


@pytest.fixture(scope="module")
def nrw() -> gpd.GeoDataFrame:
    gem = gpd.read_file(VG5000, engine="pyogrio")
    gem = gem[gem["AGS"].str.startswith("05")]
    out = gem.rename(columns={"AGS": settings.DISTRICT_ID, "GEN": settings.DISTRICT_NAME})
    return crs.to_metric(out[[settings.DISTRICT_ID, settings.DISTRICT_NAME, "geometry"]], name="VG5000")


@pytest.fixture(scope="module")
def primary_schools() -> gpd.GeoDataFrame:
    table = pd.read_csv(SCHOOLS, sep=";", skiprows=1, dtype=str, encoding="utf-8")
    table = table[table["Schulform"] == "02"]
    x = pd.to_numeric(table["UTMRechtswert"].str.replace(",", "."))
    y = pd.to_numeric(table["UTMHochwert"].str.replace(",", "."))
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(x, y), crs="EPSG:25832")


def test_vg5000_nrw_reprojects_from_gauss_krueger(nrw):
    assert len(nrw) == 396
    assert nrw.crs.to_epsg() == 25832
    area_km2 = nrw.geometry.area.sum() / 1e6
    assert 33_500 < area_km2 < 34_700  # NRW: 34,112 km² (VG5000 is generalised)


def test_primary_schools_fall_into_their_official_municipality(nrw, primary_schools):
    """The spatial join across two CRS agrees with the schools' own Gemeindeschlüssel."""
    located = assign_to_districts(primary_schools, nrw)
    agree = (located.to_numpy() == primary_schools["Gemeindeschluessel"].to_numpy()).mean()
    assert len(primary_schools) > 2_500
    assert agree > 0.97  # VG5000 borders are generalised to 1:5,000,000; schools near a border may flip


def test_state_wide_analysis_on_real_data(nrw):
    """All NRW municipalities as districts; Sozialindex schools (WGS84) as need and as places children go."""
    schools = pd.read_csv(SOCIAL_INDEX, dtype={"Amtlicher Gemeindeschlüssel": str})
    schools = schools.dropna(subset=["latitude", "longitude", "Sozialindex"])
    # The list writes AGS without the leading zero ("5111000"): the classic "01" vs 1 problem.
    schools["ags"] = schools["Amtlicher Gemeindeschlüssel"].str.zfill(8)
    pupils = schools.groupby("ags")["Anzahl"].sum()
    indicators = pd.DataFrame(
        {
            settings.DISTRICT_ID: pupils.index,
            settings.YEAR: 2024,
            settings.INHABITANTS: pupils.to_numpy(),
            settings.CHILDREN: pupils.to_numpy(),
            "sozialindex": schools.groupby("ags")["Sozialindex"].mean().reindex(pupils.index).to_numpy(),
        }
    )
    points = gpd.GeoDataFrame(
        {settings.CHILDREN: schools["Anzahl"].to_numpy()},
        geometry=gpd.points_from_xy(schools["longitude"], schools["latitude"]), crs="EPSG:4326",
    )
    startchancen = schools[schools["Startchancen-Schule"] == 1]
    offers = gpd.GeoDataFrame(
        {settings.OFFER_ID: startchancen["Schulnummer"].astype(str).to_numpy(), settings.OFFER_TYPE: "fgz",
         settings.OFFER_NAME: startchancen["Amtliche Bezeichnung 1"].to_numpy()},
        geometry=gpd.points_from_xy(startchancen["longitude"], startchancen["latitude"]), crs="EPSG:4326",
    )
    definitions = pd.DataFrame({"label": ["Sozialindex"], "unit": [""], "direction": [1], "weight": [1.0],
                                "in_index": [True], "description": [""]}, index=["sozialindex"])
    ds = Dataset(districts=nrw, indicators=indicators, offers=offers, residents=points,
                 offer_types=catalog.read_offer_types(), indicator_definitions=definitions)
    result = analyse(ds, Params(radii={"fgz": 2000}))
    d = result.districts
    assert len(d) == 396
    offers_in_nrw = assign_to_districts(crs.to_metric(offers), nrw).notna().sum()
    assert d[column("offers_inside", "fgz")].sum() == offers_in_nrw
    share = d[column("share_in_reach", "fgz")].dropna()
    assert share.between(0, 1).all() and len(share) > 390
    # Municipalities with the highest mean Sozialindex are classified as in need.
    top = d.sort_values("sozialindex", ascending=False).iloc[0]
    assert top["status_class"] in ("Status niedrig", "Status sehr niedrig")
