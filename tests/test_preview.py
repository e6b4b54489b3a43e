"""Upload preview maps: what changes is told apart, user text is escaped, nothing comes from a CDN."""

from __future__ import annotations

import re

from geo import settings
from geo.demo import load_demo
from geo.render.web.preview import _split_offers, upload_preview_map

DEMO = load_demo()


def test_offers_are_split_by_what_the_upload_does():
    new = DEMO.offers.iloc[2:].copy()  # FB-01 and FB-02 dropped
    new.loc[5, settings.OFFER_NAME] = "Umbenannt"
    new.loc[6, "geometry"] = new.loc[6, "geometry"].buffer(0).centroid.__class__(0, 0)  # moved far away
    changed, unchanged, removed = _split_offers(DEMO.offers, new)
    assert sorted(changed[settings.OFFER_ID]) == sorted(DEMO.offers[settings.OFFER_ID].iloc[[5, 6]])
    assert len(unchanged) == len(DEMO.offers) - 4
    assert removed[settings.OFFER_ID].tolist() == ["FB-01", "FB-02"]


def test_preview_escapes_names_and_loads_leaflet_locally():
    districts = DEMO.districts.copy()
    districts.loc[0, settings.DISTRICT_NAME] = "<img src=x onerror=alert(1)>"
    offers = DEMO.offers.copy()
    offers.loc[0, settings.OFFER_NAME] = "<script>alert(2)</script>"
    for kind, current, new in [("districts", DEMO.districts, districts), ("offers", DEMO.offers, offers)]:
        html = upload_preview_map(districts=districts, current=current, new=new, kind=kind).get_root().render()
        assert "<img src=x" not in html and "<script>alert" not in html
        assert re.search(r"(&|\\u0026)lt;img src=x onerror=alert\(1\)", html)  # shown as text
        assert set(re.findall(r'<script src="([^"]+)"', html)) == {"../../app/static/leaflet/leaflet.js"}
