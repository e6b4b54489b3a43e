"""Web map tooltips built column-wise (geo.render.web.tips) against the row-by-row functions they replace."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from bench.scale import tiled
from geo import settings
from geo.analysis import analyse, column
from geo.analysis.population import shown_counts
from geo.analysis.protect import district_codes
from geo.analysis.schools import primary_schools
from geo.demo import load_demo
from geo.formatting import format_number
from geo.render import reach_words
from geo.render.web import chain_map, dynamics_map, map_data, tips
from geo.render.web.payload import features_of, rows_of
from geo.render.web.schools import NO_INDEX
from geo.render.web.symbols import esc

HOSTILE = ["<script>alert(1)</script>", "{{7*191}}", "$x$", "O'Neil \"Nord\"", "a & b", "{% if 1 %}x{% endif %}"]


# ------------------------------------------------------------------ the functions of commit f43908d, row by row


def _old_district_tip(row: pd.Series, codes: dict, result, names: dict[str, str], var) -> str:
    def shown(name: str, text) -> str:
        code = codes.get(name, "")
        return esc(code) if code else text(float(row[name]))

    name = esc(row[settings.DISTRICT_NAME])
    area = row.get(settings.AREA_NAME)
    head = f"<b>{name}</b><div class='pa-muted'>Nr. {esc(row[settings.DISTRICT_ID])}"
    if area is not None and str(area) not in ("", "nan"):
        head += f" · Stadtbezirk {esc(area)}"
    head += "</div>"
    p = result.population
    rows = [("Einwohner", shown(settings.INHABITANTS, format_number))]
    for count in shown_counts(p):
        if count.column in row and np.isfinite(float(row[count.column])):
            rows.append((esc(count.heading), shown(count.column, format_number)))
    rows += [
        ("Statusindex", shown("status_index", lambda v: format_number(v, 2, signed=True))),
        ("Statusklasse", esc(row["status_class"])),
    ]
    if (var is not None and var.key != map_data.STATUS and not map_data._is_share(result, var)
            and var.key in row.index and var.key not in dynamics_map.LABELS):
        unit = f" {esc(var.unit)}" if var.unit else ""
        rows.append((esc(var.label), shown(var.key, lambda v: format_number(v, var.decimals) + unit)))
    cells = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    gap_kinds = [names[t] for t in result.offer_types if bool(row[column("gap", t)])]
    if gap_kinds:
        head += f"<div class='pa-gap-line'>Versorgungslücke: {esc(', '.join(gap_kinds))}</div>"
    if result.offer_types:
        cells += f"<tr><th colspan='2'>{esc(reach_words.in_reach_heading(result))}</th></tr>"
    for t in result.offer_types:
        text = shown(column("share_in_reach", t), lambda v: f"{format_number(100 * v)} %" if np.isfinite(v) else "–")
        if bool(row[column("gap", t)]):
            text += " <span class='pa-gap-flag'>Lücke</span>"
        cells += f"<tr><td>{esc(names[t])} ({esc(reach_words.model_short(result, t))})</td><td>{text}</td></tr>"
    return f"{head}<table>{cells}</table>"


def _old_offer_tip(row: pd.Series, label: str) -> str:
    parts = [f"<b>{esc(row.get(settings.OFFER_NAME))}</b>", f"<div class='pa-muted'>{esc(label)}</div>"]
    address = row.get(settings.OFFER_ADDRESS)
    if address is not None and str(address).strip() not in ("", "nan", "None"):
        parts.append(f"<div>{esc(address)}</div>")
    capacity = pd.to_numeric(pd.Series([row.get(settings.OFFER_CAPACITY)]), errors="coerce").iloc[0]
    if np.isfinite(capacity):
        parts.append(f"<div>Kapazität: {format_number(float(capacity))}</div>")
    return "".join(parts)


def _old_school_tip(row: pd.Series, type_label: str) -> str:
    parts = [f"<b>{esc(row.get(settings.OFFER_NAME))}</b>",
             f"<div class='pa-muted'>{esc(type_label)} · Schulnummer {esc(row.get(settings.SCHOOL_ID))}</div>"]
    address = row.get(settings.OFFER_ADDRESS)
    if address is not None and str(address).strip() not in ("", "nan", "None"):
        parts.append(f"<div>{esc(address)}</div>")
    level = float(row.get(settings.SOZIALINDEX))
    parts.append(f"<div>Schulsozialindex: {format_number(level) if np.isfinite(level) else NO_INDEX}</div>")
    parts.append(f"<div>FGZ: {'ja' if bool(row.get('has_fgz')) else 'nein'}</div>")
    return "".join(parts)


def _old_tips(result, dataset, variable: str) -> list[str]:
    """The district tooltips of the map of ``variable`` as map_data built them row by row."""
    var = map_data.variables(result, dataset)[variable]
    codes = district_codes(result)
    chain = chain_map.chain_of(result, dataset) if var.key == map_data.CHAIN_MISSING else None
    layer = dynamics_map.layer(result, dataset, var.key, codes=codes) if var.key in dynamics_map.LABELS else None
    row_codes = codes.to_dict("index")
    names = {t: dataset.type_labels(t).short for t in result.offer_types}
    return [_old_district_tip(row, row_codes[idx], result, names, var)
            + (chain_map.tip_line(chain, i) if chain is not None else "")
            + (layer.tips[i] if layer is not None else "")
            for i, (idx, row) in enumerate(result.districts.iterrows())]


# ---------------------------------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def demo():
    dataset = load_demo()
    return dataset, analyse(dataset)


@pytest.fixture(scope="module")
def hostile():
    """The demo tiled 3 times with hostile names, areas, offer names and addresses, some small districts."""
    ds = tiled(load_demo(), 3)
    rng = np.random.default_rng(14)
    d = ds.districts.copy()
    n = len(d)
    d[settings.DISTRICT_NAME] = [HOSTILE[i % len(HOSTILE)] + f" {i}" for i in range(n)]
    area = d[settings.AREA_NAME].to_numpy(dtype=object).copy()
    area[rng.choice(n, 20, replace=False)] = rng.choice(HOSTILE + ["", None, np.nan], 20)
    d[settings.AREA_NAME] = area
    ids = d[settings.DISTRICT_ID].to_numpy(dtype=object).copy()
    ids[::7] = [f"{i}&<{i}>" for i in ids[::7]]
    d[settings.DISTRICT_ID] = ids
    ind = ds.indicators.copy()
    renamed = dict(zip(ds.districts[settings.DISTRICT_ID], ids, strict=True))
    ind[settings.DISTRICT_ID] = ind[settings.DISTRICT_ID].map(renamed)
    small = ind[settings.DISTRICT_ID].isin(rng.choice(ids, 25, replace=False))  # in every year
    ind.loc[small, settings.INHABITANTS] = rng.choice([1, 2, 150, 299], small.sum())  # unclassified, "< 3"
    ind.loc[small, settings.CHILDREN] = rng.choice([0, 1, 2, np.nan, 40], small.sum())
    o = ds.offers.copy()
    m = len(o)
    o[settings.OFFER_NAME] = [HOSTILE[i % len(HOSTILE)] for i in range(m)]
    address = o[settings.OFFER_ADDRESS].to_numpy(dtype=object).copy()
    address[::3] = rng.choice(HOSTILE + ["", " ", "None", None, np.nan], len(address[::3]))
    o[settings.OFFER_ADDRESS] = address
    capacity = o[settings.OFFER_CAPACITY].to_numpy(dtype=object).copy()
    capacity[::4] = rng.choice(["12", "x", None, np.nan, 3.5, 1234567], len(capacity[::4]))
    o[settings.OFFER_CAPACITY] = capacity
    dataset = ds.with_layers(districts=d, indicators=ind, offers=o)
    return dataset, analyse(dataset)


# --------------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", ["demo", "hostile"])
def test_district_tips_are_byte_identical_to_the_row_by_row_tooltips(case, request):
    dataset, result = request.getfixturevalue(case)
    checked = 0
    for variable in map_data.variables(result, dataset):
        expected = _old_tips(result, dataset, variable)
        data = map_data.map_data(result, dataset, variable=variable, scheme="quantiles" if variable != "status_index"
                                 else "mss", gap_type=map_data.ALL_TYPES)
        assert [f["properties"]["tip"] for f in features_of(data["districts"])] == expected, variable
        checked += 1
    assert checked >= 8  # status, indicators, reach shares, Dynamik/Gesamtindex where present


def test_hostile_text_stays_escaped_in_the_tooltips(hostile):
    dataset, result = hostile
    html = "".join(f["properties"]["tip"] for f in features_of(map_data.map_data(result, dataset)["districts"]))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*191}}" in html and "1337" not in html  # text, never evaluated
    assert "O&#x27;Neil &quot;Nord&quot;" in html and "a &amp; b" in html
    assert "&lt;NA&gt;" not in html and "Stadtbezirk nan" not in html and "Stadtbezirk None" not in html


def test_small_counts_show_their_codes(hostile):
    dataset, result = hostile
    html = [f["properties"]["tip"] for f in features_of(map_data.map_data(result, dataset)["districts"])]
    assert any("<td>Einwohner</td><td>&lt; 3</td>" in t for t in html)
    assert any("<td>Statusindex</td><td>•</td>" in t for t in html)


@pytest.mark.parametrize("case", ["demo", "hostile"])
def test_offer_tips_are_byte_identical_to_the_row_by_row_tooltips(case, request):
    dataset, _ = request.getfixturevalue(case)
    offers = dataset.offers
    labels = [f"Art {t} <&>" for t in offers[settings.OFFER_TYPE].astype(str)]
    expected = [_old_offer_tip(row, label) for label, (_, row) in zip(labels, offers.iterrows(), strict=True)]
    built = tips.offer_tips(offers, labels)
    assert built.html() == expected
    assert tips.tips_of(built.payload(), len(offers)) == expected  # what the map script joins
    assert tips.offer_tips(offers.iloc[:0], []).html() == []
    without = offers.drop(columns=[settings.OFFER_ADDRESS, settings.OFFER_CAPACITY])
    assert tips.offer_tips(without, labels).html() == [_old_offer_tip(row, label) for label, (_, row) in
                                                       zip(labels, without.iterrows(), strict=True)]


@pytest.mark.parametrize("case", ["demo", "hostile"])
def test_school_tips_are_byte_identical_to_the_row_by_row_tooltips(case, request):
    dataset, result = request.getfixturevalue(case)
    schools = primary_schools(dataset).copy()
    schools.loc[schools.index[::5], settings.SOZIALINDEX] = np.nan
    schools.loc[schools.index[1::4], settings.OFFER_ADDRESS] = None
    expected = [_old_school_tip(row, "Grund<schule>") for _, row in schools.iterrows()]
    assert tips.school_tips(schools, "Grund<schule>", no_index=NO_INDEX).html() == expected
    wgs = schools.to_crs(4326).geometry
    rows = rows_of(map_data.map_data(result, dataset)["schools"]["rows"])
    assert [r[3] for r in rows] == [_old_school_tip(row, "Grundschule") for _, row in
                                    primary_schools(dataset).iterrows()]
    assert np.allclose([r[:2] for r in rows], np.column_stack([wgs.y, wgs.x]), atol=6e-7)


def test_offer_rows_read_back_as_before(hostile):
    """The compact offer rows give the rows of f43908d: coordinates to 6 decimals, type, tooltip."""
    dataset, result = hostile
    data = map_data.map_data(result, dataset)
    offers = dataset.offers[dataset.offers[settings.OFFER_TYPE] != "grundschule"]
    wgs = offers.to_crs(4326).geometry
    labels = {t: dataset.type_labels(t).label for t in offers[settings.OFFER_TYPE]}
    expected = [[round(y, 6), round(x, 6), str(row[settings.OFFER_TYPE]),
                 _old_offer_tip(row, labels[row[settings.OFFER_TYPE]])]
                for x, y, (_, row) in zip(wgs.x, wgs.y, offers.iterrows(), strict=True)]
    got = rows_of(data["offers"])
    assert [r[2:] for r in got] == [e[2:] for e in expected]
    assert np.allclose([r[:2] for r in got], [e[:2] for e in expected], atol=1e-9)


def _reference_join(parts: list, n: int) -> list[str]:
    return ["".join(p if isinstance(p, str) else str(p[i]) for p in parts) for i in range(n)]


@pytest.mark.parametrize("seed", range(6))
def test_tip_payload_reads_back_to_the_same_html(seed):
    """Seeded parts (constants, repeating and unique columns, empty strings, n = 0) survive the payload."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 2, 7, 50]))
    parts: list = []
    for _ in range(int(rng.integers(1, 9))):
        kind = rng.integers(0, 4)
        if kind == 0:
            parts.append(str(rng.choice(["", "<b>", "x", "&amp;", "{{"])))
        elif kind == 1:
            parts.append(np.array([str(rng.choice(["", "a", "bb"])) for _ in range(n)], dtype=object))
        elif kind == 2:
            parts.append(np.array([f"u{i}<{rng.integers(0, 9)}>" for i in range(n)], dtype=object))
        else:
            parts.append(np.full(n, "same", dtype=object))
    t = tips.Tips(n, tuple(parts))
    expected = _reference_join(parts, n)
    assert t.html() == expected
    assert tips.tips_of(t.payload(), n) == expected
    both = t + tips.per_district([f"-{i}" for i in range(n)])
    assert both.html() == [e + f"-{i}" for i, e in enumerate(expected)]


def _old_label_points(districts, offers) -> np.ndarray:
    """map_data._label_points of f43908d: one grid search per crowded district."""
    import shapely

    from geo import crs

    metric = crs.to_metric(districts[[districts.geometry.name]], name="Sozialräume").geometry
    polygons = metric.to_numpy()
    circles = shapely.maximum_inscribed_circle(polygons, 5.0)
    centre = shapely.get_point(circles, 0)
    radius = shapely.length(circles)
    points = shapely.get_coordinates(centre)

    def nearest(tree, pts):
        (which, _), distance = tree.query_nearest(pts, return_distance=True, all_matches=False)
        out = np.full(len(pts), np.inf)
        out[which] = distance
        return out

    def clear(polygon, tree):
        minx, miny, maxx, maxy = polygon.bounds
        xs, ys = np.meshgrid(np.linspace(minx, maxx, 15), np.linspace(miny, maxy, 15))
        grid = shapely.points(xs.ravel(), ys.ravel())
        grid = grid[shapely.contains_xy(polygon, xs.ravel(), ys.ravel())]
        if not len(grid):
            return shapely.get_coordinates(shapely.point_on_surface(polygon))[0]
        border = shapely.distance(grid, polygon.boundary)
        return shapely.get_coordinates(grid[int(np.argmax(np.minimum(border, nearest(tree, grid))))])[0]

    if offers is not None and len(offers):
        tree = shapely.STRtree(crs.to_metric(offers[[offers.geometry.name]], name="Angebote").geometry.to_numpy())
        for i in np.flatnonzero(nearest(tree, centre) < radius):
            points[i] = clear(polygons[i], tree)
    wgs = gpd.GeoSeries(shapely.points(points), crs=metric.crs).to_crs(settings.MAP_CRS)
    return np.round(np.column_stack([wgs.y, wgs.x]), 6)


@pytest.mark.parametrize("case", ["demo", "hostile"])
def test_label_points_are_those_of_the_grid_search_per_district(case, request):
    dataset, _ = request.getfixturevalue(case)
    d, offers = dataset.districts, dataset.offers
    assert np.array_equal(map_data._label_points(d, offers), _old_label_points(d, offers))
    # offers moved onto the inscribed centres of every district: all crowded, some on a border
    import shapely

    from geo import crs
    metric = crs.to_metric(d[[d.geometry.name]], name="Sozialräume").geometry.to_numpy()
    centres = shapely.get_point(shapely.maximum_inscribed_circle(metric, 5.0), 0)
    on_border = shapely.get_point(shapely.get_exterior_ring(shapely.get_geometry(metric, 0))[::5], 0)
    crowd = gpd.GeoDataFrame(geometry=np.concatenate([centres, on_border]), crs=settings.METRIC_CRS)
    assert np.array_equal(map_data._label_points(d, crowd), _old_label_points(d, crowd))
    assert map_data._label_points(d, crowd.iloc[:0]).shape == (len(d), 2)
