"""The compact web map payload (geo.render.web.payload) reads back to what map_data sent before, and is small."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from geo.render.web import payload, tips


def _random_outlines(rng: np.random.Generator, n: int) -> list:
    """Polygons (some with holes), multipolygons, empties and missing outlines around NRW, in lon/lat."""
    out = []
    for _ in range(n):
        x, y = 6.5 + rng.random() * 2, 50.5 + rng.random() * 1.5
        kind = rng.integers(0, 5)
        if kind == 0:
            radius = 0.01 + 0.02 * rng.random()
            out.append(shapely.buffer(shapely.Point(x, y), radius, quad_segs=int(rng.integers(1, 6))))
        elif kind == 1:
            out.append(box(x, y, x + 0.05, y + 0.03).difference(box(x + 0.01, y + 0.01, x + 0.02, y + 0.02)))
        elif kind == 2:
            out.append(MultiPolygon([box(x, y, x + 0.01, y + 0.01), box(x + 0.02, y, x + 0.03, y + 0.02)]))
        elif kind == 3:
            out.append(Polygon() if rng.random() < 0.5 else None)
        else:
            out.append(MultiPolygon([box(x, y, x + 0.01, y + 0.01)]))
    return out


def _reference(shape, decimals: int) -> list:
    """The outline as a list of polygons, each a list of closed rings of rounded (lon, lat) pairs."""
    if shape is None or shape.is_empty:
        return []
    polygons = list(shape.geoms) if shape.geom_type == "MultiPolygon" else [shape]
    return [[np.round(np.asarray(r.coords), decimals).tolist() for r in (p.exterior, *p.interiors)]
            for p in polygons]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("decimals", [4, 5, 6])
def test_districts_read_back_to_their_rounded_outlines_and_properties(seed, decimals):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    shapes = _random_outlines(rng, n)
    geometry = gpd.GeoSeries(shapes, crs=4326)
    props = {"id": [f"<{i}>&" for i in range(n)], "fill": [str(rng.choice(["#fff", "#000"])) for _ in range(n)],
             "gap": [bool(rng.random() < 0.3) for _ in range(n)], "gaps": [int(rng.integers(0, 3)) for _ in range(n)]}
    t = tips.per_district([f"tip {i}" for i in range(n)])
    encoded = payload.encode_districts(geometry, props, t, decimals=decimals)
    features = payload.features_of(encoded)
    assert len(features) == n
    for i, f in enumerate(features):
        got = f["geometry"]["coordinates"]
        polygons = [got] if f["geometry"]["type"] == "Polygon" else got
        expected = _reference(shapes[i], decimals)
        assert len(polygons) == len(expected)
        for gp, ep in zip(polygons, expected, strict=True):
            assert len(gp) == len(ep)
            for gr, er in zip(gp, ep, strict=True):
                assert np.allclose(gr, er, atol=0.5 * 10**-decimals) and gr[0] == gr[-1]
        assert f["properties"] == {"id": props["id"][i], "fill": props["fill"][i], "gap": props["gap"][i],
                                   "gaps": props["gaps"][i], "tip": f"tip {i}"}


def test_columns_with_repeats_send_each_value_once():
    col = payload.column(["a", "b", "a", "a", "b", "a"])
    assert col == [["a", "b"], [0, 1, 0, 0, 1, 0]]
    assert payload.column(["x", "y", "z"]) == [["x", "y", "z"]]
    assert [payload.pick(col, i) for i in range(6)] == ["a", "b", "a", "a", "b", "a"]
    assert payload.column([True, False, True, True, True]) == [[True, False], [0, 1, 0, 0, 0]]


@pytest.mark.parametrize("seed", range(3))
def test_points_read_back(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    latlon = np.round(np.column_stack([50 + rng.random(n), 6 + rng.random(n)]), 6)
    kinds = [str(rng.choice(["fgz", "familienbuero"])) for _ in range(n)]
    rows = payload.rows_of(payload.encode_points(latlon, [kinds], tips.per_district([f"<b>{i}</b>" for i in range(n)])))
    assert [r[2:] for r in rows] == [[k, f"<b>{i}</b>"] for i, k in enumerate(kinds)]
    assert np.allclose([r[:2] for r in rows], latlon.reshape(-1, 2), atol=1e-9)


def test_display_detail_keeps_the_city_tolerance_and_coarsens_a_state():
    city = gpd.GeoDataFrame(geometry=[box(380_000, 5_700_000, 395_000, 5_712_000)], crs="EPSG:25832")
    assert payload.display_detail(city, city_tolerance_m=5.0) == (5.0, 5)
    state = gpd.GeoDataFrame(geometry=[box(280_000, 5_600_000, 520_000, 5_800_000)], crs="EPSG:25832")
    tolerance, decimals = payload.display_detail(state, city_tolerance_m=5.0)
    assert tolerance == pytest.approx(240_000 / 16_000) and decimals == 5
    country = gpd.GeoDataFrame(geometry=[box(0, 5_200_000, 900_000, 6_100_000)], crs="EPSG:25832")
    assert payload.display_detail(country, city_tolerance_m=5.0) == (pytest.approx(56.25), 4)
