"""Host facilities: which Grundschule runs an FGZ (by Schulnummer, else within the match distance)."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point

from geo import settings
from geo.analysis.hosts import host_facilities


def _offers(rows) -> gpd.GeoDataFrame:
    ids, types, xy = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"offer_id": list(ids), "offer_type": list(types), "name": [f"N {i}" for i in ids],
         "address": "", "capacity": float("nan")},
        geometry=[Point(x, y) for x, y in xy], crs=settings.METRIC_CRS,
    )


def test_offers_run_at_the_host_with_their_id_else_at_the_nearest_within_the_match_distance() -> None:
    offers = _offers([
        ("100001", "grundschule", (0, 0)),
        ("100002", "grundschule", (1_000, 0)),
        ("100003", "grundschule", (2_000, 0)),
        ("100002", "fgz", (1_500, 0)),      # same Schulnummer: runs at 100002 although 500 m away
        ("FGZ-A", "fgz", (2_100, 0)),       # 100 m from 100003: runs there
        ("FGZ-B", "fgz", (5_000, 0)),       # 3 km from every school: a host of its own
    ])
    hosts = host_facilities(offers, offer_type="fgz", host_type="grundschule", match_m=150)
    assert list(hosts["offer_id"]) == ["100001", "100002", "100003", "FGZ-B"]
    assert list(hosts["runs_offer"]) == [False, True, True, True]
    assert list(hosts["offer_ids"]) == ["", "100002", "FGZ-A", "FGZ-B"]
    assert hosts.geometry.iloc[3].equals(Point(5_000, 0))


def test_without_a_host_layer_every_offer_is_its_own_host() -> None:
    offers = _offers([("L1", "lotsendienst", (0, 0)), ("FB", "familienbuero", (10, 10))])
    hosts = host_facilities(offers, offer_type="lotsendienst", host_type="geburtsklinik")
    assert list(hosts["offer_id"]) == ["L1"] and list(hosts["runs_offer"]) == [True]
