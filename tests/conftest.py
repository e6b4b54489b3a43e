"""Shared fixtures: three 1 km squares and two offers in EPSG:25832, where every figure can be computed by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo import catalog, settings
from geo.dataset import Dataset

#: Origin of the fixtures: a plausible place in NRW, so CRS checks and reprojections are realistic.
X0, Y0 = 400_000.0, 5_700_000.0
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def xy(x: float, y: float) -> tuple[float, float]:
    """Fixture coordinates relative to the origin."""
    return X0 + x, Y0 + y


@pytest.fixture(autouse=True)
def _no_real_tile_server(monkeypatch, tmp_path_factory):
    """No test reaches a real tile server: the URL points at a closed local port unless a test sets its own."""
    from geo.render.print import tiles

    monkeypatch.setattr(settings, "TILE_URL", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    monkeypatch.setattr(settings, "TILE_CACHE_DIR", tmp_path_factory.getbasetemp() / "kachel-cache")
    tiles.forget_failures()


@pytest.fixture(autouse=True)
def data_root(monkeypatch, tmp_path_factory) -> Path:
    """Every test gets an empty data folder of its own (no workspace, default = demo): nothing reads the user's home."""
    root = tmp_path_factory.mktemp("daten")
    monkeypatch.setattr(settings, "DATA_ROOT", root)
    monkeypatch.setattr(settings, "DEFAULT_WORKSPACE", None)
    monkeypatch.setenv("PRAEVENTIONSATLAS_DATA", str(root))
    monkeypatch.delenv("PRAEVENTIONSATLAS_WORKSPACE", raising=False)
    return root


@pytest.fixture
def practice(data_root):
    """A practice copy of the demo in the test's data folder, the default workspace (the app opens it)."""
    from geo.store import create_workspace

    return create_workspace("Übung", demo_copy=True, make_default=True)


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Districts A | B | C, each 1,000 m × 1,000 m, side by side along x."""
    return gpd.GeoDataFrame(
        {
            settings.DISTRICT_ID: ["01", "02", "03"],
            settings.DISTRICT_NAME: ["Altstadt", "Südpark", "Über der Höhe"],
            settings.AREA_ID: ["1", "1", "2"],
            settings.AREA_NAME: ["Mitte", "Mitte", "Ost"],
        },
        geometry=[box(*xy(0, 0), *xy(1000, 1000)), box(*xy(1000, 0), *xy(2000, 1000)),
                  box(*xy(2000, 0), *xy(3000, 1000))],
        crs="EPSG:25832",
    )


@pytest.fixture
def two_offers() -> gpd.GeoDataFrame:
    """An FGZ in the middle of A and one in the middle of C."""
    return gpd.GeoDataFrame(
        {
            settings.OFFER_ID: ["F1", "F2"],
            settings.OFFER_TYPE: ["fgz", "fgz"],
            settings.OFFER_NAME: ["FGZ West", "FGZ Ost"],
            settings.OFFER_ADDRESS: ["Weg 1", "Weg 2"],
            settings.OFFER_CAPACITY: [None, None],
        },
        geometry=gpd.points_from_xy(*zip(xy(500, 500), xy(2500, 500), strict=True)),
        crs="EPSG:25832",
    )


@pytest.fixture
def residents() -> gpd.GeoDataFrame:
    """10 children at A's centre (0 m), 5 in B at 700 m, 20 in B at 1,000 m, 8 in C at 400 m."""
    points = [xy(500, 500), xy(1200, 500), xy(1500, 500), xy(2900, 500)]
    return gpd.GeoDataFrame(
        {settings.INHABITANTS: [60, 30, 120, 50], settings.CHILDREN: [10, 5, 20, 8]},
        geometry=gpd.points_from_xy(*zip(*points, strict=True)),
        crs="EPSG:25832",
    )


@pytest.fixture
def indicators() -> pd.DataFrame:
    """One year: B is clearly the most deprived, A the least."""
    return pd.DataFrame(
        {
            settings.DISTRICT_ID: ["01", "02", "03"],
            settings.YEAR: [2024, 2024, 2024],
            settings.INHABITANTS: [1000, 2000, 1500],
            settings.CHILDREN: [100, 250, 80],
            "sgb2_children_quota": [10.0, 40.0, 16.0],
            "unemployment_rate": [4.0, 14.0, 6.0],
            "single_parent_share": [15.0, 35.0, 19.0],
        }
    )


@pytest.fixture
def small_dataset(squares, two_offers, residents, indicators) -> Dataset:
    return Dataset(
        districts=squares,
        indicators=indicators,
        offers=two_offers,
        residents=residents,
        offer_types=catalog.read_offer_types(),
        indicator_definitions=catalog.read_indicator_definitions(),
        source="Testdaten",
    )
