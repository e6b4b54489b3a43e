"""Fallback grid: cells per district on one lattice, border centres once, adaptive cell size, old == new."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo import crs, settings
from geo.analysis import access
from geo.analysis.run import analyse
from geo.formatting import grid_name
from tests.conftest import SHARED_DATA, X0, Y0, xy

ID, KIDS = settings.DISTRICT_ID, settings.CHILDREN
VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"


def old_grid_residents(districts, counts, *, cell_m):
    """Reference: the implementation before issue 14, one meshgrid over the total bounds and a spatial join."""
    minx, miny, maxx, maxy = districts.total_bounds
    xs = np.arange(np.floor(minx / cell_m) * cell_m + cell_m / 2, maxx, cell_m)
    ys = np.arange(np.floor(miny / cell_m) * cell_m + cell_m / 2, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    grid = gpd.GeoDataFrame(geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=districts.crs)
    grid[ID] = access.assign_to_districts(grid, districts)
    grid = grid.dropna(subset=[ID])
    missing = districts.loc[~districts[ID].isin(grid[ID]), [ID, "geometry"]]
    if len(missing):
        extra = gpd.GeoDataFrame({ID: missing[ID].to_numpy()},
                                 geometry=missing.geometry.representative_point().to_numpy(), crs=districts.crs)
        grid = pd.concat([grid, extra], ignore_index=True)
    grid[KIDS] = grid[ID].map(counts).fillna(0).to_numpy() / grid[ID].map(grid[ID].value_counts())
    return gpd.GeoDataFrame(grid.reset_index(drop=True), geometry="geometry", crs=districts.crs)


def _table(grid: gpd.GeoDataFrame) -> pd.DataFrame:
    """Points as (id, x, y, count), in one order, for comparing two grids."""
    coords = shapely.get_coordinates(grid.geometry.to_numpy())
    table = pd.DataFrame({ID: grid[ID].astype(str).to_numpy(), "x": coords[:, 0], "y": coords[:, 1],
                          KIDS: grid[KIDS].to_numpy(dtype=float)})
    return table.sort_values([ID, "x", "y"], ignore_index=True)


def _districts(ids, geometries) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({ID: ids}, geometry=list(geometries), crs="EPSG:25832")


def _per_district(grid: gpd.GeoDataFrame) -> dict[str, int]:
    return grid.groupby(ID).size().to_dict()


def test_cells_lie_on_one_lattice_not_on_the_district_corner():
    # A district from x = 130: its centres are the lattice's 150, 250 … 950, not 180, 280 … (own corner + ½ cell).
    districts = _districts(["01"], [box(*xy(130, 0), *xy(1000, 1000))])
    grid = access.grid_residents(districts, pd.Series({"01": 90.0}), max_points=10**9)
    x = shapely.get_coordinates(grid.geometry.to_numpy())[:, 0] - X0
    assert sorted(set(x)) == list(np.arange(150.0, 1000.0, 100.0))
    assert len(grid) == 90 and grid[KIDS].tolist() == [1.0] * 90
    assert grid.attrs["cell_m"] == 100.0


@pytest.mark.parametrize(("left", "right", "expected"), [("a", "b", {"a": 110, "b": 90}),
                                                          ("b", "a", {"a": 100, "b": 100})])
def test_centre_on_shared_border_counts_once_for_the_id_sorting_first(left, right, expected):
    # The border x = 1,050 is a lattice column: its 10 centres go to "a", whichever side "a" is on.
    districts = _districts([left, right], [box(*xy(0, 0), *xy(1050, 1000)), box(*xy(1050, 0), *xy(2000, 1000))])
    grid = access.grid_residents(districts, pd.Series({"a": 200.0, "b": 100.0}))
    assert _per_district(grid) == expected
    on_border = shapely.get_coordinates(grid.geometry.to_numpy())[:, 0] == X0 + 1050
    assert on_border.sum() == 10 and set(grid.loc[on_border, ID]) == {"a"}
    sums = grid.groupby(ID)[KIDS].sum()
    assert sums["a"] == pytest.approx(200.0) and sums["b"] == pytest.approx(100.0)


def test_tiny_district_gets_its_representative_point_beside_a_gridded_one(squares):
    tiny = box(*xy(3010, 10), *xy(3040, 40))  # smaller than a cell and between centres
    districts = _districts(["01", "02"], [squares.geometry.iloc[0], tiny])
    grid = access.grid_residents(districts, pd.Series({"01": 50.0, "02": 9.0}))
    assert _per_district(grid) == {"01": 100, "02": 1}
    point = grid.loc[grid[ID] == "02"]
    assert point[KIDS].tolist() == [9.0]
    assert point.geometry.iloc[0].equals(tiny.representative_point())


def test_counts_sum_to_the_district_totals_and_unknown_ids_get_zero(squares):
    grid = access.grid_residents(squares, pd.Series({"01": 7.0, "02": 1234.5}))
    sums = grid.groupby(ID)[KIDS].sum()
    assert sums.to_dict() == pytest.approx({"01": 7.0, "02": 1234.5, "03": 0.0})


@pytest.mark.parametrize(("max_points", "cell", "per_district"), [
    (300, 100.0, [100, 100, 100]),  # 3 km² / 100² = 300 points: the finest cell fits
    (299, 200.0, [25, 25, 25]),
    (75, 200.0, [25, 25, 25]),
    (74, 250.0, [16, 16, 16]),      # √(3 km² / 74) = 201 m → the next nice size
    (48, 250.0, [16, 16, 16]),
    (47, 500.0, [4, 4, 4]),
    (3, 1000.0, [1, 1, 1]),
    # 2 km: centres at x = 1,000 (border 01|02, to "01") and 3,000 (edge of 03), y = 1,000 (top edge);
    # "02" holds none and gets its representative point
    (2, 2000.0, [1, 1, 1]),
])
def test_cell_grows_to_the_next_nice_size_until_the_estimate_fits(squares, max_points, cell, per_district):
    assert access.grid_cell_m(squares, max_points=max_points) == cell
    grid = access.grid_residents(squares, pd.Series({"01": 10.0, "02": 20.0, "03": 30.0}), max_points=max_points)
    assert grid.attrs["cell_m"] == cell
    assert list(_per_district(grid).values()) == per_district
    assert grid.groupby(ID)[KIDS].sum().tolist() == pytest.approx([10.0, 20.0, 30.0])


def test_two_km_cell_puts_the_corner_centre_in_the_first_district(squares):
    grid = access.grid_residents(squares, pd.Series({"01": 1.0}), max_points=2)
    where = dict(zip(grid[ID], shapely.get_coordinates(grid.geometry.to_numpy()).tolist(), strict=True))
    assert where["01"] == [X0 + 1000, Y0 + 1000]
    assert where["03"] == [X0 + 3000, Y0 + 1000]
    assert where["02"] == list(squares.geometry.iloc[1].representative_point().coords[0])


def test_start_cell_and_limit_are_keywords_read_at_call_time(squares):
    assert access.grid_cell_m(squares) == settings.FALLBACK_GRID_M  # 300 points ≪ FALLBACK_MAX_POINTS
    assert access.grid_cell_m(squares, cell_m=150.0, max_points=10**9) == 150.0
    assert access.grid_cell_m(squares, cell_m=150.0, max_points=100) == 200.0  # √30,000 = 173 m
    with pytest.raises(ValueError, match="positive"):
        access.grid_cell_m(squares, max_points=0)


def test_input_is_left_as_it_was(squares):
    before = squares.copy()
    access.grid_residents(squares, pd.Series({"01": 1.0}))
    pd.testing.assert_frame_equal(squares, before)
    assert not shapely.is_prepared(squares.geometry.to_numpy()).any()


def _rectangles(rng: np.random.Generator) -> list:
    """A partition of 3 × 2 km into rectangles cut at multiples of 50 m: many centres on borders (cell 100 m)."""
    xs = np.unique(np.r_[0, rng.choice(np.arange(50, 3000, 50), rng.integers(2, 7), replace=False), 3000])
    ys = np.unique(np.r_[0, rng.choice(np.arange(50, 2000, 50), rng.integers(1, 5), replace=False), 2000])
    return [box(*xy(x0, y0), *xy(x1, y1)) for x0, x1 in zip(xs[:-1], xs[1:], strict=True)
            for y0, y1 in zip(ys[:-1], ys[1:], strict=True)]


def _voronoi(rng: np.random.Generator) -> list:
    seeds = shapely.multipoints(rng.uniform([0, 0], [3000, 2000], (rng.integers(3, 12), 2)) + [X0, Y0])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds))
    return list(shapely.intersection(cells, box(*xy(0, 0), *xy(3000, 2000))))


@pytest.mark.parametrize("seed", range(12))
def test_new_grid_equals_the_old_one_on_random_layouts(seed):
    rng = np.random.default_rng(seed)
    shapes = _rectangles(rng) if seed % 2 else _voronoi(rng)
    # tiny districts inside others (overlaps, no centre of their own) and one in the open
    corners = rng.integers(0, 20, (3, 2)) * 100
    shapes += [box(*xy(x + 10, y + 10), *xy(x + 40, y + 40)) for x, y in corners]
    shapes.append(box(*xy(5010, 10), *xy(5040, 40)))
    ids = [f"{i:02d}" for i in rng.permutation(len(shapes))]  # position and id order differ
    districts = _districts(ids, shapes)
    counts = pd.Series(rng.integers(0, 500, len(ids)).astype(float), index=ids).drop(ids[0])  # one id unknown
    new = access.grid_residents(districts, counts, max_points=10**9)
    old = old_grid_residents(districts, counts, cell_m=100.0)
    assert new.attrs["cell_m"] == 100.0
    expected, got = _table(old), _table(new)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert set(got[ID]) == set(ids)
    assert got.groupby(ID)[KIDS].sum().to_dict() == pytest.approx(counts.reindex(ids, fill_value=0.0).to_dict())


@pytest.fixture(scope="module")
def nrw() -> gpd.GeoDataFrame:
    if not VG5000.exists():
        pytest.skip(f"{VG5000} not present: the NRW grid test needs ../shared/data")
    gem = gpd.read_file(VG5000, engine="pyogrio")
    gem = gem[gem["AGS"].str.startswith("05")].rename(columns={"AGS": ID})
    return crs.to_metric(gem[[ID, "geometry"]], name="VG5000")


def test_nrw_municipalities_all_get_points_and_keep_their_totals(nrw):
    counts = pd.Series(np.arange(len(nrw), dtype=float) * 10 + 1, index=nrw[ID].to_numpy())
    grid = access.grid_residents(nrw, counts)
    assert grid.attrs["cell_m"] == 200.0  # ≈ 61,500 km² of bounding boxes / 100² m² > 2 M points
    assert len(grid) <= settings.FALLBACK_MAX_POINTS
    assert set(grid[ID]) == set(nrw[ID]) and len(nrw) == 396
    sums = grid.groupby(ID)[KIDS].sum().reindex(counts.index)
    np.testing.assert_allclose(sums.to_numpy(), counts.to_numpy(), rtol=1e-9)
    # the same points as the old implementation at a cell size it can afford
    coarse = access.grid_residents(nrw, counts, cell_m=2000.0)
    pd.testing.assert_frame_equal(_table(coarse), _table(old_grid_residents(nrw, counts, cell_m=2000.0)),
                                  check_exact=False, rtol=1e-12)


def test_grid_name_says_the_cell_size():
    assert [grid_name(c) for c in (100.0, 250.0, 1000.0, 2500.0)] == [
        "100-m-Raster", "250-m-Raster", "1-km-Raster", "2,5-km-Raster"]
    assert grid_name() == f"{settings.FALLBACK_GRID_M:.0f}-m-Raster"


def test_analysis_says_which_cell_the_grid_was_made_with(small_dataset):
    # "03" runs 150 km north-east as a 300 m strip: Σ bounding boxes 22,502 km² / 100² m² > 2 M points → 200 m
    strip = shapely.LineString([xy(2500, 500), xy(150_000, 150_000)]).buffer(150)
    districts = small_dataset.districts.copy()
    districts.loc[2, "geometry"] = strip
    result = analyse(small_dataset.with_layers(districts=districts, residents=None))
    assert result.residents_on_grid and result.grid_m == 200.0
    assert result.residents_source == ("keine Wohnorte-Ebene: Kinder gleichmäßig auf ein "
                                       "200-m-Raster im Sozialraum verteilt")
    assert result.targets["fgz"].source.endswith("gleichmäßig auf ein 200-m-Raster im Sozialraum verteilt")
    plain = analyse(small_dataset.with_layers(residents=None))
    assert plain.grid_m == 100.0 and "100-m-Raster" in plain.residents_source
    assert analyse(small_dataset).grid_m is None


def test_no_districts_make_an_empty_grid():
    grid = access.grid_residents(_districts([], []), pd.Series(dtype=float))
    assert len(grid) == 0 and list(grid.columns) == ["geometry", ID, KIDS] and grid.attrs["cell_m"] == 100.0


@pytest.mark.parametrize("seed", [1, 3, 5])
def test_the_grids_own_districts_are_where_its_points_lie(seed):
    """The analysis takes the grid's district per point instead of locating the points again: the same positions
    wherever districts do not overlap (border centres included)."""
    rng = np.random.default_rng(seed)
    shapes = _rectangles(rng)
    ids = [f"{i:02d}" for i in rng.permutation(len(shapes))]
    districts = _districts(ids, shapes)
    grid = access.grid_residents(districts, pd.Series(100.0, index=ids), max_points=10**9)
    own = pd.Index(districts[settings.DISTRICT_ID]).get_indexer(grid[settings.DISTRICT_ID])
    assert (own >= 0).all()
    assert own.tolist() == access.district_positions(grid, districts).tolist()
