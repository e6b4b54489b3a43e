"""Every page says whom reach is measured for: a city without children counts reads "Einwohner…" everywhere."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app_pages._shared import PAGES
from geo import settings
from geo.analysis import analyse, column
from geo.formatting import format_number
from tests.apptest import SharedPages, open_page
from tests.test_population import NOTE, without_children

TIMEOUT = 60


def store_without_children(practice):
    """Store the practice copy's indicators and residents without children; the workspace and its data set."""
    dataset = without_children(practice.dataset())
    practice.save("indicators", dataset.indicators, filename="ohne_kinder.csv")
    practice.save("residents", dataset.residents, filename="wohnorte_ohne_kinder.gpkg")
    stored = practice.dataset()
    assert settings.CHILDREN not in stored.indicators and settings.CHILDREN not in stored.residents
    return practice, stored


@pytest.fixture
def city(practice):
    """The app's default workspace: a practice copy of the demo whose indicators and residents lack children."""
    return store_without_children(practice)


@pytest.fixture(scope="module")
def city_pages(tmp_path_factory) -> SharedPages:
    """The pages of :func:`city` in a data folder of their own, each opened once (the tests only read them)."""
    from geo.store import create_workspace

    return SharedPages(tmp_path_factory.mktemp("daten-ohne-kinder"), lambda: store_without_children(
        create_workspace("Übung", demo_copy=True, make_default=True)))


def texts(at: AppTest) -> str:
    """Every text the page shows: markdown, captions, boxes, metric and link labels, table headers and cells."""
    parts = [str(e.value) for kind in ("markdown", "caption", "warning", "info", "error", "subheader")
             for e in at.get(kind)]
    parts += [m.label for m in at.metric]
    parts += [link.proto.label for link in at.get("page_link")]  # the top-5 gaps beside the Übersicht map
    for frame in at.dataframe:
        parts += [str(c) for c in frame.value.columns]
        parts += [str(v) for c in frame.value.columns if frame.value[c].dtype == object for v in frame.value[c]]
    return "\n".join(parts)


@pytest.mark.parametrize("page", [p for p, _, _ in PAGES])
def test_every_page_names_inhabitants_without_children(city_pages, page):
    at = city_pages.page(None if page == PAGES[0][0] else page, timeout=TIMEOUT)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Kinder in Reichweite" not in shown and "Kinder in Sozialräumen mit hohem Bedarf" not in shown
    assert "Kinder ohne" not in shown
    # one count only: the target groups, or it for every type
    (choice,) = [s for s in at.sidebar.selectbox if s.label == "Reichweite gemessen an"]
    assert choice.options == ["Zielgruppe je Angebotsart", "Einwohnerinnen und Einwohner"]
    if page in ("app_pages/0_Uebersicht.py", "app_pages/1_Karte.py", "app_pages/2_Analyse.py",
                "app_pages/6_Methodik.py"):
        assert NOTE in [i.value for i in at.info]
        assert "Einwohnerinnen und Einwohner" in shown


def test_overview_figures_weighted_by_inhabitants(city_pages):
    at = city_pages.page(timeout=TIMEOUT)  # the same view as the Übersicht's case above
    expected = analyse(city_pages.prepared[1]).key_figures
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Einwohner in Sozialräumen mit hohem Bedarf"] == format_number(expected["population_in_need"])
    reached = expected[column("in_need_reached", "fgz")] / expected[column("target_in_need", "fgz")]
    assert metrics["FGZ"] == f"{format_number(100 * reached)} %"
    assert "Einwohnerinnen und Einwohner ohne Angebot in Reichweite" in texts(at)


def test_with_children_the_sidebar_offers_inhabitants_and_the_pages_follow():
    at = open_page(timeout=TIMEOUT)
    assert not at.exception
    assert "Kinder in Sozialräumen mit hohem Bedarf" in [m.label for m in at.metric]
    assert not [i for i in at.info if "Reichweite gemessen an" in str(i.value)]
    choice = at.sidebar.selectbox(key="pa_population")
    assert choice.options == ["Zielgruppe je Angebotsart", "Kinder 0–17", "Einwohnerinnen und Einwohner"]
    choice.set_value("inhabitants").run(timeout=TIMEOUT)
    assert not at.exception
    assert "Einwohner in Sozialräumen mit hohem Bedarf" in [m.label for m in at.metric]
    assert ("Reichweite gemessen an allen Einwohnerinnen und Einwohnern – so gewählt statt der Kinderzahlen"
            in [i.value for i in at.info])


def test_karte_says_the_residents_layer_lacks_the_count(city):
    workspace, dataset = city
    blocks = dataset.residents.drop(columns=[settings.INHABITANTS])  # neither children nor inhabitants
    workspace.save("residents", blocks, filename="bloecke.gpkg")
    at = open_page("app_pages/1_Karte.py", timeout=TIMEOUT)
    assert not at.exception
    assert [w.value for w in at.warning if "Raster" in w.value] == [
        "Es liegt keine Wohnorte-Ebene mit Einwohnerzahlen vor: Die Einwohnerinnen und Einwohner jedes Sozialraums "
        "sind gleichmäßig auf ein 100-m-Raster im Sozialraum verteilt. Die Reichweiten sind daher Näherungen – "
        "besonders in Sozialräumen mit großen unbewohnten Flächen."
    ]
