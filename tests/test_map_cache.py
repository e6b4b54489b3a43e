"""The built web map is cached per analysis result and map settings: a rerun that changes nothing does not rebuild."""

from __future__ import annotations

from app_pages import _map
from geo.analysis import analyse
from geo.demo import load_demo
from geo.render.web import leaflet
from tests.apptest import open_page

TIMEOUT = 120


def test_karte_builds_its_map_once_per_result_and_settings(monkeypatch):
    builds: list[dict] = []
    real = leaflet.need_map

    def counted(*args, **options):
        builds.append(options)
        return real(*args, **options)

    monkeypatch.setattr(leaflet, "need_map", counted)
    _map._cached_map.clear()
    at = open_page("app_pages/1_Karte.py", timeout=TIMEOUT)
    assert not at.exception and len(at.get("component_instance")) == 1
    assert len(builds) == 1 and builds[0]["variable"] == "status_index"
    at.run(timeout=TIMEOUT)  # nothing changed
    assert len(builds) == 1 and len(at.get("component_instance")) == 1
    at.selectbox(key="karte_variable").set_value("sgb2_children_quota").run(timeout=TIMEOUT)
    assert len(builds) == 2 and builds[1]["variable"] == "sgb2_children_quota"
    at.selectbox(key="karte_variable").set_value("status_index").run(timeout=TIMEOUT)
    assert len(builds) == 2  # that view is still built
    at.toggle(key="karte_labels").set_value(False).run(timeout=TIMEOUT)
    assert len(builds) == 3 and builds[2]["labels"] is False
    assert not at.exception


def test_each_run_gets_its_own_copy_of_the_cached_map():
    """st_folium changes the map it renders; the cache hands out copies, so runs never share one object."""
    dataset = load_demo()
    result = analyse(dataset)
    _map._cached_map.clear()
    first = _map._cached_map(("r",), "o", result, dataset, {"gap_type": "fgz"})
    second = _map._cached_map(("r",), "o", result, dataset, {"gap_type": "fgz"})
    assert first is not second
    assert first.get_root().render() == second.get_root().render()
    other = _map._cached_map(("r",), "labels", result, dataset, {"gap_type": "fgz", "labels": False})
    assert other.get_root().render() != first.get_root().render()
