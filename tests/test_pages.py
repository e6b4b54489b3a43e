"""The pages as Streamlit runs them (AppTest): no exception, the shared sidebar, figures that match the analysis."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.analysis import Params, analyse, column
from geo.demo import load_demo
from geo.formatting import format_number
from tests.apptest import open_page

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 60
#: The Übersicht's first key figure (glossary of issue 10).
IN_NEED = "Kinder in Sozialräumen mit hohem Bedarf"


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def run(script: str) -> AppTest:
    at = open_page(None if script == "app_pages/0_Uebersicht.py" else script, timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def pct(share: float) -> str:
    return f"{format_number(100 * share)} %"


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "warning", "info", "error")
                     for e in at.get(kind))


def test_overview_shows_key_figures_and_the_stamp(demo):
    at = run("app_pages/0_Uebersicht.py")
    expected = analyse(demo).key_figures
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[IN_NEED] == format_number(expected["population_in_need"]) == "10.886"
    # the FGZ's share: its target group (children 6–9) in reach in the districts in need
    assert metrics["FGZ"] == pct(expected[column("in_need_reached", "fgz")] / expected[column("target_in_need", "fgz")])
    assert "synthetische Beispieldaten" in texts(at)
    assert "Musterstadt" in texts(at)
    # The pages st.navigation registered (AppTest has no public view of the navigation menu).
    links = [p["page_name"] for p in at._registered_pages.values()]  # other pages (Daten, Export, …) in between
    assert links[:3] == ["Übersicht", "Karte", "Analyse"] and links[-1] == "Methodik"
    assert [p["url_pathname"] for p in at._registered_pages.values()][:2] == ["", "Karte"]
    assert len(at.get("component_instance")) == 1  # the map


def test_changing_a_radius_changes_the_key_figure(demo):
    at = run("app_pages/0_Uebersicht.py")
    at.sidebar.number_input(key="pa_r_fgz").set_value(3000).run(timeout=TIMEOUT)
    assert not at.exception
    radii = {"familienbuero": 1500.0, "fgz": 3000.0, "lotsendienst": 5000.0}
    expected = analyse(demo, Params(radii=radii)).key_figures
    share = expected[column("in_need_reached", "fgz")] / expected[column("target_in_need", "fgz")]
    assert {m.label: m.value for m in at.metric}["FGZ"] == pct(share)
    assert pct(share) != "61 %"  # the default radius gives 61 %


def test_settings_survive_a_page_switch():
    at = run("app_pages/0_Uebersicht.py")
    at.sidebar.selectbox(key="pa_year").set_value(2023).run(timeout=TIMEOUT)
    at.sidebar.number_input(key="pa_w_unemployment_rate").set_value(2.5).run(timeout=TIMEOUT)
    assert at.subheader[0].value == "Kennzahlen 2023"
    at.switch_page("app_pages/1_Karte.py").run(timeout=TIMEOUT)
    assert not at.exception
    assert at.sidebar.selectbox(key="pa_year").value == 2023
    assert at.sidebar.number_input(key="pa_w_unemployment_rate").value == 2.5
    at.switch_page("app_pages/6_Methodik.py").run(timeout=TIMEOUT)
    assert at.sidebar.selectbox(key="pa_year").value == 2023
    assert "Jahr der Indikatoren:** 2023" in texts(at)


def test_no_indicator_in_the_index_classifies_nothing_and_says_so(demo):
    at = run("app_pages/0_Uebersicht.py")
    for key in ("sgb2_children_quota", "unemployment_rate", "single_parent_share"):
        at.sidebar.number_input(key=f"pa_w_{key}").set_value(0.0).run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert any("kein Indikator mit Werten gewählt" in e.value.replace("\\", "") for e in at.info)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[IN_NEED] == "0"  # no district classified, reach still computed
    assert len(at.get("component_instance")) == 1  # the map is still drawn
    at.sidebar.button(key="pa_reset").click().run(timeout=TIMEOUT)
    assert not at.error and at.sidebar.number_input(key="pa_w_unemployment_rate").value == 1.0


def test_karte_page_with_indicator_and_classification():
    at = run("app_pages/1_Karte.py")
    assert len(at.get("component_instance")) == 1
    assert "Wohnblöcke" in texts(at)
    assert "synthetische Beispieldaten" in texts(at)
    at.selectbox(key="karte_variable").set_value("sgb2_children_quota").run(timeout=TIMEOUT)
    assert "mss" not in at.selectbox(key="karte_scheme").options
    at.selectbox(key="karte_scheme").set_value("natural_breaks").run(timeout=TIMEOUT)
    at.slider(key="karte_k").set_value(4).run(timeout=TIMEOUT)
    at.toggle(key="karte_reach").set_value(True).run(timeout=TIMEOUT)
    at.radio(key="karte_tiles").set_value("osm").run(timeout=TIMEOUT)
    at.selectbox(key="karte_gap_type").set_value(None).run(timeout=TIMEOUT)
    assert not at.exception
    assert "OpenStreetMap" in texts(at)
    assert at.get("download_button")


def test_karte_says_when_children_are_spread_over_the_grid(practice):
    practice.reset("residents")
    at = run("app_pages/1_Karte.py")
    assert any("100-m-Raster" in w.value for w in at.warning)


def test_analyse_filters_the_ranked_gaps(demo):
    result = analyse(demo)
    at = run("app_pages/2_Analyse.py")
    gaps_table = at.dataframe[0].value
    # Eichkamp's births belong mostly to a clinic with a Lotsendienst (nearest Geburtsklinik): 4 gaps, not 5
    assert len(gaps_table) == int(result.gaps["is_gap"].sum()) == 4
    assert gaps_table["Sozialraum"].iloc[0] == result.gaps[settings.DISTRICT_NAME].iloc[0] == "Eichkamp"
    # the demo's FGZ by assigned Grundschule: none of Eichkamp's schools runs an FGZ
    assert gaps_table["Begründung"].iloc[0].startswith("100 % der Kinder von 6 bis unter 10 Jahren gehören zu einer "
                                                       "Grundschule ohne FGZ")
    assert len(at.dataframe[1].value) == 57  # all districts

    at.radio(key="analyse_only_gaps").set_value(False).run(timeout=TIMEOUT)
    assert len(at.dataframe[0].value) == len(result.gaps) == 11 * 3
    at.multiselect(key="analyse_types").set_value(["fgz"]).run(timeout=TIMEOUT)
    assert set(at.dataframe[0].value["Angebotsart"]) == {"FGZ"} and len(at.dataframe[0].value) == 11
    at.multiselect(key="analyse_areas").set_value(["Nordost"]).run(timeout=TIMEOUT)
    area = result.districts.set_index(settings.DISTRICT_ID)[settings.AREA_NAME]
    in_need_nordost = result.gaps[(result.gaps.offer_type == "fgz")][settings.DISTRICT_ID].map(area).eq("Nordost")
    assert len(at.dataframe[0].value) == int(in_need_nordost.sum())
    assert set(at.dataframe[1].value["Stadtbezirk"]) == {"Nordost"}
    assert not at.exception


def test_methodik_names_the_parameters_in_force():
    at = run("app_pages/6_Methodik.py")
    body = texts(at)
    for phrase in ("mindestens 300 Einwohnern", "Division durch *n*", "EPSG:25832", "weniger als 50 %",
                   "Leaflet 1.9.4", "Wohnblöcke"):
        assert phrase in body, phrase
    def radii():
        return next(d.value for d in at.dataframe if "Radius (aktuell)" in d.value.columns)

    assert radii().set_index("Angebotsart").loc["Familiengrundschulzentrum", "Radius (aktuell)"] == "1 km"
    at.sidebar.number_input(key="pa_r_fgz").set_value(1200).run(timeout=TIMEOUT)
    assert radii().set_index("Angebotsart").loc["Familiengrundschulzentrum", "Radius (aktuell)"] == "1,2 km"


def test_a_new_upload_shows_at_once_in_the_same_session(practice, demo):
    at = run("app_pages/0_Uebersicht.py")
    assert [m for m in at.markdown if m.value.startswith(":orange-badge[")]  # the practice copy keeps the stamp
    assert [m.label for m in at.metric] == [IN_NEED, "Familienbüro", "FGZ", "Lotsendienst"]

    offers = demo.offers[demo.offers[settings.OFFER_TYPE] != "fgz"]
    practice.save("offers", offers, filename="angebote_ohne_fgz.csv")
    at.run(timeout=TIMEOUT)  # the same session: the cached data set must not be shown any more
    assert not at.exception
    assert [m.label for m in at.metric] == [IN_NEED, "Familienbüro", "Lotsendienst"]
    assert "Angebote v2 \\(angebote\\_ohne\\_fgz\\.csv" in texts(at)
    assert "Für Familiengrundschulzentren \\(FGZ\\), Familienzentren, Kita\\-Sozialarbeit liegen noch keine " \
        "Standorte vor" in texts(at)


def test_analysis_cache_tells_data_sets_apart():
    """A short-lived preview data set must never get the cached result of an earlier one (``id`` reuse),
    and default parameters stay defaults."""

    def script():
        import streamlit as st

        from app_pages import _shared
        from geo.analysis import Params
        from geo.demo import load_demo

        demo = load_demo()
        first = _shared.analysis(demo, Params())
        again = _shared.analysis(demo, Params())
        counts = []
        for part in (demo.offers.iloc[:10], demo.offers.iloc[10:]):  # 10 Familienbüros, then the rest
            preview = demo.with_layers(offers=part)
            counts.append(len(_shared.analysis(preview, Params()).offer_types))
            del preview
        st.write(f"{first is again} {sorted(first.weights)} {counts}")

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    assert not at.exception
    assert at.markdown[0].value == (
        "True ['sgb2_children_quota', 'single_parent_share', 'unemployment_rate'] [1, 2]"
    )


def test_serials_are_never_reused():
    from app_pages import _shared

    a, b = object.__new__(type("D", (), {})), object.__new__(type("D", (), {}))
    serial_a = _shared._serial(a)
    assert _shared._serial(a) == serial_a and _shared._serial(b) != serial_a
    seen = {serial_a, _shared._serial(b)}
    del a
    for _ in range(20):  # CPython hands out the freed address again: the serial must still be new
        c = object.__new__(type("D", (), {}))
        assert _shared._serial(c) not in seen
        seen.add(_shared._serial(c))
        del c


def test_the_cached_analysis_keeps_every_parameter(demo):
    from app_pages import _shared

    params = Params(max_share_in_reach=0.9, min_inhabitants=1234)
    result = _shared.analysis(demo, params)
    assert (result.max_share_in_reach, result.min_inhabitants) == (0.9, 1234)
    assert result.gaps["is_gap"].sum() == analyse(demo, params).gaps["is_gap"].sum()
    assert _shared.analysis(demo, Params()).min_inhabitants == settings.MIN_INHABITANTS_FOR_CLASS  # not the cached one


def test_a_default_shown_in_passing_is_not_remembered_but_a_choice_is():
    """Szenarien: the map type defaults to the type whose offers changed; a default shown before (no change yet)
    must not stick, while what the user chose does, also after the default moves on."""

    def script():
        import streamlit as st

        from app_pages import _shared

        default = st.session_state.get("default", "familienbuero")
        st.selectbox("Art", ["familienbuero", "fgz", "lotsendienst"],
                     **_shared.remember("t_type", default, options=["familienbuero", "fgz", "lotsendienst"]))

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run(timeout=TIMEOUT)
    assert at.selectbox(key="t_type").value == "familienbuero"
    at.session_state["default"] = "fgz"  # the scenario now changes an FGZ
    at.run(timeout=TIMEOUT)
    assert at.selectbox(key="t_type").value == "fgz"
    at.selectbox(key="t_type").select("lotsendienst").run(timeout=TIMEOUT)  # the user's own choice
    at.session_state["default"] = "familienbuero"
    at.run(timeout=TIMEOUT)
    assert not at.exception and at.selectbox(key="t_type").value == "lotsendienst"
