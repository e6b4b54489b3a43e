"""Tests of geo.render.web: classification, escaping, offline assets, payload size, geometry for display."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geo import catalog, formatting, settings
from geo.analysis import Params, analyse, classify, column
from geo.dataset import Dataset
from geo.demo import load_demo
from geo.render import palette
from geo.render.web import leaflet, map_data, symbols
from geo.render.web.payload import features_of, rows_of

XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture(scope="module")
def demo():
    dataset = load_demo()
    return dataset, analyse(dataset)


def _squares(names: list[str]) -> Dataset:
    """Three 1-km squares side by side in EPSG:25832, 1000 inhabitants and 200 children each, two offers."""
    x0, y0 = 400_000.0, 5_700_000.0
    polys = [Polygon([(x0 + i * 1000, y0), (x0 + (i + 1) * 1000, y0), (x0 + (i + 1) * 1000, y0 + 1000),
                      (x0 + i * 1000, y0 + 1000)]) for i in range(3)]
    districts = gpd.GeoDataFrame(
        {
            settings.DISTRICT_ID: ["01", "02", "03"],
            settings.DISTRICT_NAME: names,
            settings.AREA_ID: ["1", "1", "2"],
            settings.AREA_NAME: ["Mitte", "Mitte", XSS],
        },
        geometry=polys, crs="EPSG:25832",
    )
    indicators = pd.DataFrame(
        {
            settings.DISTRICT_ID: ["01", "02", "03"],
            settings.YEAR: 2024,
            settings.INHABITANTS: 1000,
            settings.CHILDREN: 200,
            "sgb2_children_quota": [10.0, 20.0, 40.0],
            "unemployment_rate": [4.0, 6.0, 12.0],
            "single_parent_share": [15.0, 20.0, 30.0],
        }
    )
    offers = gpd.GeoDataFrame(
        {
            settings.OFFER_ID: ["FB-1", "FGZ-1"],
            settings.OFFER_TYPE: ["familienbuero", "fgz"],
            settings.OFFER_NAME: [XSS, "FGZ Schule"],
            settings.OFFER_ADDRESS: [XSS, "Weg 1"],
            settings.OFFER_CAPACITY: [np.nan, 40],
        },
        geometry=[Point(x0 + 500, y0 + 500), Point(x0 + 1500, y0 + 500)], crs="EPSG:25832",
    )
    return Dataset(
        districts=districts, indicators=indicators, offers=offers, residents=None,
        offer_types=catalog.read_offer_types(), indicator_definitions=catalog.read_indicator_definitions(),
        source="Testdaten", synthetic=False,
    )


# ----------------------------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "decimals", "signed", "expected"),
    [(12345.6, 0, False, "12.346"), (1.5, 1, False, "1,5"), (-0.5, 2, True, "−0,50"), (1.24, 2, True, "+1,24"),
     (-0.001, 2, True, "+0,00"), (float("nan"), 0, False, "–"), (-1234, 0, False, "−1.234")],
)
def test_format_number_is_german(value, decimals, signed, expected):
    assert formatting.format_number(value, decimals, signed=signed) == expected


def test_small_counts_are_hidden():
    assert [formatting.format_count(v) for v in (0, 1, 2, 3, 1500)] == ["0", "< 3", "< 3", "3", "1.500"]


@pytest.mark.parametrize(("color", "expected"), [("#0072B2", "#0072B2"), ("#abc", "#abc"),
                                                  ('red" onload="alert(1)', "#555555"), ("red", "#555555")])
def test_safe_color(color, expected):
    assert symbols.safe_color(color) == expected


@pytest.mark.parametrize("shape", [*palette.MARKERS, "blob"])
def test_marker_svg_draws_each_shape_with_its_colour(shape):
    svg = symbols.marker_svg(shape, "#D55E00")
    assert svg.startswith("<svg") and 'fill="#D55E00"' in svg
    tag = {"square": "<rect", "circle": "<circle", "blob": "<circle"}.get(shape, "<polygon")
    assert svg.count(tag) == 2  # halo and symbol


def test_every_palette_marker_has_its_own_svg_shape():
    bodies = {symbols.marker_svg(shape, "#000000").split("</g>")[0] for shape in palette.MARKERS}
    assert len(bodies) == len(palette.MARKERS)  # the web draws each shape the print maps know, none as a stand-in


def test_offer_type_labels_come_from_the_table_or_the_key():
    dataset = _squares(["A", "B", "C"])
    fgz = dataset.type_labels("fgz")
    assert (fgz.short, fgz.plural) == ("FGZ", "Familiengrundschulzentren (FGZ)")
    assert dataset.type_labels("spielplatz") == catalog.TypeLabels("spielplatz", "spielplatz", "spielplatz")


# ------------------------------------------------------------------------------------------- classification


def test_equal_intervals_on_a_known_series():
    classes, bins = classify.classify_values(np.arange(11), "equal_interval", k=5)
    # width 2: 0-2 | 3-4 | 5-6 | 7-8 | 9-10 (upper bounds inclusive)
    assert bins.tolist() == [2, 4, 6, 8, 10]
    assert np.bincount(classes).tolist() == [3, 2, 2, 2, 2]
    assert classes[[0, 2, 3, 10]].tolist() == [0, 0, 1, 4]


def test_quantiles_put_equal_numbers_in_each_class_and_keep_nan_out():
    values = [1, 2, 3, 4, 5, 6, 7, 8, np.nan]
    classes, _ = classify.classify_values(values, "quantiles", k=4)
    assert classes[-1] == -1
    assert np.bincount(classes[:-1]).tolist() == [2, 2, 2, 2]


def test_natural_breaks_separate_two_clusters():
    classes, bins = classify.classify_values([1, 1.1, 1.2, 9, 9.1, 9.2], "natural_breaks", k=2)
    assert classes.tolist() == [0, 0, 0, 1, 1, 1]
    assert bins[0] == pytest.approx(1.2)


def test_fewer_distinct_values_than_classes_gives_fewer_classes_without_warning():
    classes, bins = classify.classify_values([5, 5, 5, 7], "quantiles", k=5)
    assert len(bins) == 2
    assert classes.tolist() == [0, 0, 0, 1]
    classes, bins = classify.classify_values([np.nan, np.nan], "equal_interval", k=5)
    assert classes.tolist() == [-1, -1] and len(bins) == 0


def test_mss_classes_follow_the_status_classes(demo):
    dataset, result = demo
    var = map_data.variables(result, dataset)[map_data.STATUS]
    classes = map_data.classify(result, var, scheme="mss")
    counts = result.districts["status_class"].value_counts()
    assert classes.counts == [int(counts.get(c, 0)) for c in ("Status hoch", "Status mittel", "Status niedrig",
                                                              "Status sehr niedrig")]
    assert (classes.classes == -1).sum() == (result.districts["status_class"] == "nicht klassifiziert").sum()
    assert classes.labels[3] == "Status sehr niedrig (ab +1,5)"


def test_mss_scheme_only_for_the_index(demo):
    dataset, result = demo
    with pytest.raises(ValueError, match="MSS"):
        map_data.classify(result, map_data.variables(result, dataset)["sgb2_children_quota"], scheme="mss")


def test_small_districts_stay_unclassified_for_indicators(demo):
    dataset, result = demo
    var = map_data.variables(result, dataset)["unemployment_rate"]
    classes = map_data.classify(result, var, scheme="quantiles", k=5)
    small = result.districts[settings.INHABITANTS].to_numpy() < settings.MIN_INHABITANTS_FOR_CLASS
    assert small.sum() == 3
    assert (classes.classes[small] == -1).all()
    assert sum(classes.counts) == len(result.districts) - 3


def test_reach_share_is_darker_where_reach_is_lower(demo):
    dataset, result = demo
    var = map_data.variables(result, dataset)[column("share_in_reach", "fgz")]
    classes = map_data.classify(result, var, scheme="equal_interval", k=5)
    assert var.direction == -1
    assert classes.colors == palette.reach_colors(5) == palette.PURPLES[5][::-1]  # the print maps' reach scheme
    assert classes.labels[0].startswith("0 %")  # lowest share: darkest colour
    fb = map_data.classify(result, map_data.variables(result, dataset)[column("share_in_reach", "familienbuero")],
                           scheme="equal_interval", k=5)
    assert fb.colors == classes.colors  # the same for every offer type
    html = leaflet.need_map(result, dataset, variable=var.key, scheme="equal_interval", k=5).get_root().render()
    assert "dunkler = weniger Kinder in Reichweite" in html


# ------------------------------------------------------------------------------------------------ geometry


def test_coverage_simplification_keeps_shared_borders():
    # Two districts sharing a border with 1-m zigzags: the display tolerance removes them on both sides alike.
    xs = np.linspace(0, 1000, 201)
    zig = np.where(np.arange(len(xs)) % 2, 1.0, 0.0)
    border = [(400_000 + x, 5_700_500 + z) for x, z in zip(xs, zig, strict=True)]
    south = Polygon([(400_000, 5_700_000), (401_000, 5_700_000), *border[::-1]])
    north = Polygon([*border, (401_000, 5_701_000), (400_000, 5_701_000)])
    gdf = gpd.GeoDataFrame(geometry=[south, north], crs="EPSG:25832")
    out = map_data.display_geometry(gdf, tolerance_m=5)
    assert out.crs.to_epsg() == 4326
    assert shapely.get_num_coordinates(out.to_numpy()).sum() < 20  # from 404 vertices
    metric = out.to_crs("EPSG:25832")
    assert metric.iloc[0].intersection(metric.iloc[1]).area < 1.0  # no overlap
    assert metric.union_all().geom_type == "Polygon"  # no gap
    coords = shapely.get_coordinates(out.to_numpy())
    assert np.array_equal(coords, np.round(coords, 6))


# ---------------------------------------------------------------------------------------------- map content


def test_demo_map_has_one_feature_per_district_and_is_small(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset, gap_type="fgz")
    assert len(features_of(data["districts"])) == len(result.districts) == 57
    assert len(data["labels"]) == 57
    gaps = sum(f["properties"]["gap"] for f in features_of(data["districts"]))
    assert gaps == result.key_figures[column("gap_districts", "fgz")] == 2
    # the 45 Grundschulen are drawn by their Schulsozialindex in a layer of their own, the other 34 offers as offers
    assert len(rows_of(data["offers"])) == 34 and data["schools"]["count"] == 45 and len(dataset.offers) == 79
    assert data["stamp"] == settings.SYNTHETIC_STAMP
    html = leaflet.need_map(result, dataset, gap_type="fgz", reach=True).get_root().render()
    assert len(html) < 1_000_000
    assert settings.SYNTHETIC_STAMP in html


def test_map_loads_assets_only_from_static(demo):
    dataset, result = demo
    html = leaflet.need_map(result, dataset).get_root().render()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets == ["../../app/static/leaflet/leaflet.js", "../../app/static/leaflet/leaflet.css",
                      "../../app/static/atlas/atlas.js", "../../app/static/atlas/atlas.css"]
    assert "cdn" not in html.lower()
    assert "https://" not in html and "openstreetmap" not in html.lower()
    assert (leaflet.STATIC_DIR / leaflet.LEAFLET_JS).is_file()
    assert (leaflet.STATIC_DIR / "leaflet" / "LICENSE").is_file()


def test_openstreetmap_only_when_chosen(demo):
    dataset, result = demo
    html = leaflet.need_map(result, dataset, tiles="osm").get_root().render()
    assert settings.TILE_URL in html and "OpenStreetMap-Mitwirkende" in html  # settings read when the map is made
    assert "cdn" not in html.lower()
    with pytest.raises(ValueError, match="background"):
        leaflet.need_map(result, dataset, tiles="google")


def test_folium_defaults_are_left_alone(demo):
    dataset, result = demo
    leaflet.need_map(result, dataset)
    import folium

    assert any("cdn.jsdelivr.net" in url for _, url in folium.Map.default_js)


def test_every_user_text_is_escaped():
    dataset = _squares(["Nord", XSS, "Süd & Co"])
    dataset = dataset.with_layers(
        indicator_definitions=dataset.indicator_definitions.assign(
            label=lambda t: t["label"].where(t.index != "unemployment_rate", "<b>Quote</b>")
        ),
        offer_types=dataset.offer_types.assign(
            plural=lambda t: t["plural"].where(t.index != "fgz", "<script>x</script>"),
            color=lambda t: t["color"].where(t.index != "fgz", '#000" onload="alert(1)'),
        ),
    )
    result = analyse(dataset)
    html = leaflet.need_map(result, dataset, variable="unemployment_rate", scheme="quantiles",
                         gap_type="fgz", reach=True).get_root().render()
    for raw in (XSS, "<b>Quote</b>", "<script>x</script>", 'onload="alert(1)'):
        assert raw not in html
    shown = html.replace("\\u0026", "&")  # the map data writes "&" as \u0026 (see leaflet.script_json)
    assert XSS_ESCAPED in shown  # district name (tooltip and label), offer name and address, Stadtbezirk
    assert "&lt;b&gt;Quote&lt;/b&gt;" in shown  # legend title and tooltip row
    assert "&lt;script&gt;x&lt;/script&gt;" in shown  # legend and layer control
    assert "Süd &amp; Co" in shown
    data = map_data.map_data(result, dataset)
    tips = [f["properties"]["tip"] for f in features_of(data["districts"])]
    assert XSS_ESCAPED in tips[1] and "Nr. 02" in tips[1]
    assert any(XSS_ESCAPED in o[3] for o in rows_of(data["offers"]))


def test_tooltip_figures_of_a_hand_checkable_district():
    dataset = _squares(["West", "Mitte", "Ost"])
    result = analyse(dataset)
    data = map_data.map_data(result, dataset)
    tip = features_of(data["districts"])[0]["properties"]["tip"]
    assert "<b>West</b>" in tip
    assert "<td>Einwohner</td><td>1.000</td>" in tip and "<td>Kinder 0–17</td><td>200</td>" in tip
    # the Familienbüro stands in the middle of district 01: every grid point of the 1-km square lies within 1.5 km
    assert "<td>Familienbüro (1,5 km)</td><td>100 %</td>" in tip
    assert len(features_of(data["districts"])) == 3


def test_indicator_without_any_value_leaves_every_district_grey():
    dataset = _squares(["A", "B", "C"])
    dataset = dataset.with_layers(indicators=dataset.indicators.assign(unemployment_rate=np.nan))
    result = analyse(dataset, Params(weights={"sgb2_children_quota": 1.0}))
    data = map_data.map_data(result, dataset, variable="unemployment_rate", scheme="quantiles")
    assert {f["properties"]["fill"] for f in features_of(data["districts"])} == {palette.NO_CLASS_COLOR}
    assert "nicht klassifiziert (unter 300 EW oder ohne Wert)" in data["legend"] and "(3)" in data["legend"]


def test_unknown_offer_type_is_drawn_as_grey_circle():
    dataset = _squares(["A", "B", "C"])
    offers = dataset.offers.copy()
    offers.loc[1, settings.OFFER_TYPE] = "spielplatz"
    dataset = dataset.with_layers(offers=offers)
    data = map_data.map_data(analyse(dataset), dataset)
    assert data["types"]["spielplatz"]["color"] == "#555555"
    assert "<circle" in data["types"]["spielplatz"]["icon"]


def test_choices_of_offers_labels_and_reach(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset, offer_types=["fgz"], labels=False, reach=True)
    assert list(data["types"]) == ["fgz"] and len(rows_of(data["offers"])) == 20
    assert data["types"]["fgz"]["radius"] == result.radii["fgz"] == 1000
    assert data["labels"] == [] and data["reach"] is True
    assert "FGZ: 1 km" in data["legend"]


def test_payload_cannot_close_the_script_tag():
    element = leaflet.AtlasLayers({"x": "</script><script>alert(1)</script>"}, image_path="i/", fill_opacity=0.5)
    assert "</script" not in element.payload
    assert json.loads(element.payload) == {"x": "</script><script>alert(1)</script>"}


# ---------------------------------------------------------------------------------------------- standalone


def test_standalone_html_works_offline(demo):
    dataset, result = demo
    page = leaflet.standalone_html(leaflet.need_map(result, dataset, gap_type="fgz"))
    assert not re.search(r'<script[^>]+src=["\']?https?://', page)
    assert not re.search(r'<link[^>]+href=["\']?https?://', page)
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet", page)  # nothing left to fetch at all
    assert '.version="1.9.4"' in page  # Leaflet inlined
    assert "url(data:image/png;base64," in page and "url(images/" not in page
    assert "<title>Präventionsatlas – Karte</title>" in page
    assert len(page) < 1_000_000


# ------------------------------------------------------------------------------------- gaps of every offer type


def test_combined_gap_view_marks_and_numbers_every_gap_district(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset, gap_type=map_data.ALL_TYPES)
    features = features_of(data["districts"])
    marked = {f["properties"]["id"]: f["properties"]["gaps"] for f in features if f["properties"]["gap"]}
    # result.gaps, by hand: Eichkamp (0401) lacks Familienbüro and FGZ (its births belong mostly to a clinic with a
    # Lotsendienst: the nearest Geburtsklinik, no longer a 5 km radius), Buchenhain (0305) FGZ, Lohfeld (0804)
    # Familienbüro
    assert marked == {"0401": 2, "0305": 1, "0804": 1}
    expected = result.gaps[result.gaps["is_gap"]].groupby("district_id").size().to_dict()
    assert marked == expected
    badges = {name: badge for _, _, name, _, badge in data["labels"] if badge}
    assert badges == {"Eichkamp": 2, "Buchenhain": 1, "Lohfeld": 1}
    assert data["gap_label"] == "Versorgungslücken: alle Angebotsarten"
    assert "Versorgungslücke bei 1 Angebotsart <span class='pa-n'>(2)</span>" in data["legend"]
    assert "Versorgungslücke bei 2 Angebotsarten <span class='pa-n'>(1)</span>" in data["legend"]
    assert "bei 3 Angebotsarten" not in data["legend"]  # no district with three
    # gap districts come first among the names, so they are placed before any other
    assert [row[2] for row in data["labels"][:3]] == ["Eichkamp", "Buchenhain", "Lohfeld"]


def test_single_type_gap_view_has_no_badges(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset, gap_type="fgz")
    marked = {f["properties"]["id"] for f in features_of(data["districts"]) if f["properties"]["gap"]}
    assert marked == {"0401", "0305"}
    assert not any(row[4] for row in data["labels"])
    assert "Versorgungslücken: Familiengrundschulzentren (FGZ)" in data["legend"] and "(2)" in data["legend"]
    none = map_data.map_data(result, dataset, gap_type=None)
    assert not any(f["properties"]["gap"] for f in features_of(none["districts"])) and none["gap_label"] is None


def test_tooltip_names_the_types_with_a_gap(demo):
    dataset, result = demo
    data = map_data.map_data(result, dataset)
    tips = {f["properties"]["id"]: f["properties"]["tip"] for f in features_of(data["districts"])}
    assert "Versorgungslücke: Familienbüro, FGZ</div>" in tips["0401"]
    assert "Versorgungslücke: FGZ</div>" in tips["0305"]
    assert "Versorgungslücke" not in tips["0101"]  # Altstadt: in need, but no gap


def test_every_feature_carries_its_district_id_and_a_click_returns_it(demo):
    dataset, result = demo
    features = features_of(map_data.map_data(result, dataset)["districts"])
    assert [f["properties"]["id"] for f in features] == list(result.districts[settings.DISTRICT_ID])
    clicked = {"last_active_drawing": {"type": "Feature", "properties": {**features[5]["properties"], "clicked": 17}}}
    assert map_data.clicked_district(clicked) == (result.districts[settings.DISTRICT_ID].iloc[5], 17)
    for nothing in (None, {}, {"last_active_drawing": None}, {"last_active_drawing": {"properties": {"id": 3}}}):
        assert map_data.clicked_district(nothing) is None


def test_hostile_district_id_stays_escaped_and_returns_as_it_was():
    dataset = _squares(["A", "B", "C"])
    ids = ["01", XSS, "03"]
    dataset = dataset.with_layers(districts=dataset.districts.assign(**{settings.DISTRICT_ID: ids}),
                                  indicators=dataset.indicators.assign(**{settings.DISTRICT_ID: ids}))
    data = map_data.map_data(analyse(dataset), dataset, gap_type=map_data.ALL_TYPES)
    feature = features_of(data["districts"])[1]
    assert feature["properties"]["id"] == XSS_ESCAPED
    assert map_data.clicked_district({"last_active_drawing": feature}) == (XSS, None)


def test_names_move_off_an_offer_symbol_but_stay_in_their_district(demo):
    dataset, result = demo
    d = result.districts
    data = map_data.map_data(result, dataset, offer_types=[])  # no symbol drawn: names at the inscribed centre
    with_offers = map_data.map_data(result, dataset)
    plain = {row[2]: (row[0], row[1]) for row in data["labels"]}
    moved = {row[2]: (row[0], row[1]) for row in with_offers["labels"]}
    wgs = d.to_crs(settings.MAP_CRS).set_index(settings.DISTRICT_NAME).geometry
    metric = dataset.offers.to_crs(d.crs).geometry
    for name, (lat, lon) in moved.items():
        assert wgs[name].contains(Point(lon, lat)), name
    # Lohfeld has an FGZ right at its centre ("Lo▲feld"): its name moves away from it
    assert moved["Lohfeld"] != plain["Lohfeld"]
    lohfeld = d.set_index(settings.DISTRICT_NAME).geometry["Lohfeld"]

    def clearance(latlon):
        point = gpd.GeoSeries([Point(latlon[1], latlon[0])], crs=settings.MAP_CRS).to_crs(d.crs).iloc[0]
        return metric.distance(point).min()

    assert clearance(moved["Lohfeld"]) > 2 * clearance(plain["Lohfeld"])
    assert lohfeld.contains(gpd.GeoSeries([Point(moved["Lohfeld"][::-1])], crs=settings.MAP_CRS).to_crs(d.crs).iloc[0])
    # a district without an offer near its centre keeps the centre
    assert moved["Auf der Heide"] == plain["Auf der Heide"]


def test_map_options_name_the_map_and_the_tile_notice_in_german(demo):
    dataset, result = demo
    html = leaflet.need_map(result, dataset, tiles="osm").get_root().render()
    assert leaflet.MAP_TITLE.startswith("Karte: ")
    assert leaflet.MAP_TITLE in html
    assert "Hintergrundkarte nicht erreichbar" in html
    assert "Sozialraumnamen" in html and "Bezirksnamen" not in html
    js = (leaflet.STATIC_DIR / leaflet.ATLAS_JS).read_text(encoding="utf-8")
    assert "tileerror" in js and "aria-label" in js


# ------------------------------------------------------------------------------------------ the map on a page


@pytest.fixture
def profile_calls(monkeypatch):
    """Links and switches to the Steckbrief, recorded (the page is built in parallel; here it need not exist)."""
    import streamlit as st

    from app_pages import _map

    calls: dict[str, list] = {"link": [], "switch": []}
    link = st.page_link

    def page_link(page, **kwargs):
        if page != _map.PROFILE_PAGE:
            return link(page, **kwargs)
        calls["link"].append((kwargs["label"], kwargs["query_params"]))
        return None

    monkeypatch.setattr(st, "page_link", page_link)
    monkeypatch.setattr(st, "switch_page", lambda page, query_params=None: calls["switch"].append((page, query_params)))
    return calls


def test_overview_lists_the_five_largest_gaps_across_types_each_linking_its_profile(profile_calls):
    from app_pages import _map
    from tests.apptest import open_page

    at = open_page(None)
    assert not at.exception, at.exception
    assert at.selectbox(key="overview_gap_type").value == map_data.ALL_TYPES  # leads with every gap
    assert at.selectbox(key="overview_gap_type").format_func(map_data.ALL_TYPES) == "alle Angebotsarten"
    # result.gaps of the demo by hand: most children without an offer in reach first, over all three types
    # (the type's target group: children 6–9 for the FGZ, 0–2 for the Familienbüro; Eichkamp's births mostly belong
    # to a clinic with a Lotsendienst: no Lotsendienst gap)
    expected = [("Eichkamp – FGZ · 472 Kinder von 6 bis unter 10 Jahren", "0401"),
                ("Eichkamp – Familienbüro · 319 Kinder von 0 bis unter 3 Jahren", "0401"),
                ("Buchenhain – FGZ · 313 Kinder von 6 bis unter 10 Jahren", "0305"),
                ("Lohfeld – Familienbüro · 94 Kinder von 0 bis unter 3 Jahren", "0804")]
    links = profile_calls["link"]
    assert len(links) == 4
    for i, ((label, params), (text, district)) in enumerate(zip(links, expected, strict=True), start=1):
        assert label.replace("\\", "") == f"{i}. {text} ohne Angebot in Reichweite"
        assert params == {_map.PROFILE_PARAM: district}


@pytest.mark.parametrize(("page", "key"), [(None, "overview_map"), ("app_pages/1_Karte.py", "karte_map")])
def test_a_click_on_a_district_opens_its_profile_once(profile_calls, monkeypatch, page, key):
    from app_pages import _map
    from tests.apptest import open_page

    clicks = [None]

    def st_folium(m, **kwargs):
        assert kwargs["returned_objects"] == ["last_active_drawing"]
        return {"last_active_drawing": clicks[-1]}

    monkeypatch.setattr(_map, "st_folium", st_folium)
    at = open_page(page)
    assert not at.exception, at.exception
    assert profile_calls["switch"] == []  # no click yet
    clicks.append({"type": "Feature", "properties": {"id": "0305", "clicked": 1}})
    at.run()
    assert profile_calls["switch"] == [(_map.PROFILE_PAGE, {"sozialraum": "0305"})]
    at.run()  # the map still returns the same click: handled already, no loop
    assert len(profile_calls["switch"]) == 1
    clicks.append({"type": "Feature", "properties": {"id": "0305", "clicked": 2}})  # the same district again
    at.run()
    assert profile_calls["switch"][1:] == [(_map.PROFILE_PAGE, {"sozialraum": "0305"})]
