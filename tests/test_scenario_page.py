"""The scenario in the app (AppTest): the sidebar's chooser, the banner, the Bestand pages, editing and writing."""

from __future__ import annotations

import pandas as pd
import pytest

from geo import settings
from geo.analysis import analyse, column
from geo.analysis.protect import protected_totals
from geo.analysis.scenarios import SCENARIO_COLUMNS, edits_of, scenario_dataset
from geo.formatting import format_number
from geo.store import open_workspace
from geo.store.scenarios import save_scenario, stored_edits
from tests.apptest import open_page

TIMEOUT = 90
PLAN = "Plan Nord"
HOSTILE = "<script>alert(1)</script> $x$ {{ 7*191 }} **fett** =cmd|' /C calc'!A0"


def _edit(**fields) -> dict:
    row = {c: "" for c in SCENARIO_COLUMNS}
    row.update({settings.OFFER_CAPACITY: float("nan"), "x": float("nan"), "y": float("nan"), "source": "manual"})
    row.update(fields)
    return row


def _close_fgz(workspace, name: str) -> pd.DataFrame:
    """Store scenario ``name``: the first three FGZ of the demo copy closed."""
    offers = workspace.dataset().offers
    ids = offers.loc[offers[settings.OFFER_TYPE] == "fgz", settings.OFFER_ID].astype(str).head(3)
    edits = pd.DataFrame([_edit(action="close", offer_id=i, offer_type="fgz") for i in ids])
    save_scenario(workspace, name, edits)
    return edits


def _fgz_figure(dataset) -> str:
    share = protected_totals(analyse(dataset))[column("share_in_need_reached", "fgz")].value
    return f"{format_number(100 * share)} %"


def _texts(at, *kinds) -> str:
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def test_the_chooser_switches_the_overview_to_the_scenario_and_shows_the_banner(practice):
    workspace = open_workspace(practice.path)
    _close_fgz(workspace, PLAN)
    real = workspace.dataset()
    variant, _ = scenario_dataset(real, PLAN)
    bestand, scenario = _fgz_figure(real), _fgz_figure(variant)
    assert bestand != scenario

    at = open_page(None, timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["FGZ"] == bestand
    assert "Planungsvariante" not in _texts(at, "warning")
    chooser = at.sidebar.selectbox(key="ws_scenario")
    assert chooser.options == ["Bestand", PLAN]
    chooser.set_value(PLAN).run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["FGZ"] == scenario
    assert f"Szenario „{PLAN}“ – kein Bestand, nur Planungsvariante" in _texts(at, "warning")
    # the Daten page works on the Bestand and says so; the frame hands it the real offers
    at.switch_page("app_pages/3_Daten.py").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert "arbeitet immer mit dem **Bestand**" in _texts(at, "info")
    assert "Planungsvariante" not in _texts(at, "warning")
    dataset, _ = at.session_state["_frame"]
    assert dataset.scenario == "" and len(dataset.offers) == len(real.offers)
    # back on the Übersicht the scenario is still chosen
    at.switch_page("app_pages/0_Uebersicht.py").run(timeout=TIMEOUT)
    assert {m.label: m.value for m in at.metric}["FGZ"] == scenario


def test_a_hostile_scenario_name_is_shown_as_text(practice):
    workspace = open_workspace(practice.path)
    _close_fgz(workspace, HOSTILE)
    at = open_page(None, timeout=TIMEOUT)
    at.sidebar.selectbox(key="ws_scenario").set_value(HOSTILE).run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    banner = _texts(at, "warning")
    assert r"\<script\>alert\(1\)\</script\> \$x\$ \{\{ 7\*191 \}\} \*\*fett\*\*" in banner
    assert "1337" not in banner
    at.switch_page("app_pages/12_Szenarien.py").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert "1337" not in _texts(at, "markdown", "caption")


def _editor(at):
    at.radio(key="scen_view").set_value("edit").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def test_add_and_close_are_stored_as_edits_and_the_offers_stay_byte_identical(practice):
    workspace = open_workspace(practice.path)
    before = workspace.active_versions()["offers"]
    at = _editor(open_page("app_pages/12_Szenarien.py", timeout=TIMEOUT))
    at.text_input(key="scen_new_name").input("Zwei neue FGZ")
    at.text_area(key="scen_new_note").input("Räume in der Grundschule ab 2027")
    at.button(key="scen_create").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert at.selectbox(key="scen_edit").value == "Zwei neue FGZ"
    # add an FGZ by longitude/latitude (decimal comma), check, save
    at.radio(key="scen_action").set_value("add").run(timeout=TIMEOUT)
    at.selectbox(key="scen_add_type").set_value("fgz")
    at.text_input(key="scen_add_name").input("FGZ Nord <b>neu</b>")
    at.radio(key="scen_xy_mode").set_value("lonlat").run(timeout=TIMEOUT)
    offers = workspace.dataset().offers.to_crs("EPSG:4326")
    lon, lat = offers.geometry.x.mean(), offers.geometry.y.mean()
    at.text_input(key="scen_lon").input(f"{lon:.5f}".replace(".", ","))
    at.text_input(key="scen_lat").input(f"{lat:.5f}".replace(".", ","))
    at.button(key="scen_check").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="scen_save").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    # close one offer of the Bestand
    at.radio(key="scen_action").set_value("close").run(timeout=TIMEOUT)
    first = str(workspace.dataset().offers[settings.OFFER_ID].iloc[0])
    at.selectbox(key="scen_offer").set_value(first)
    at.button(key="scen_check").click().run(timeout=TIMEOUT)
    at.button(key="scen_save").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception

    edits = edits_of(stored_edits(workspace), "Zwei neue FGZ")
    assert list(edits["action"]) == ["note", "add", "close"]
    assert edits.loc[1, settings.OFFER_NAME] == "FGZ Nord <b>neu</b>" and edits.loc[1, settings.OFFER_TYPE] == "fgz"
    assert edits.loc[2, settings.OFFER_ID] == first
    assert edits.loc[1, "x"] == pytest.approx(workspace.dataset().offers.geometry.x.mean(), abs=2)
    after = workspace.active_versions()["offers"]
    assert (after.version, after.sha256) == (before.version, before.sha256)
    assert "Gespeichert im Szenario" in _texts(at, "success")


def test_a_stale_preview_is_refused_and_nothing_is_written(practice):
    workspace = open_workspace(practice.path)
    _close_fgz(workspace, PLAN)
    at = _editor(open_page("app_pages/12_Szenarien.py", timeout=TIMEOUT))
    at.selectbox(key="scen_edit").set_value(PLAN).run(timeout=TIMEOUT)
    at.radio(key="scen_action").set_value("note").run(timeout=TIMEOUT)
    at.text_area(key="scen_note").input("Annahme aus dieser Sitzung")
    at.button(key="scen_check").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    # meanwhile another session changes the scenarios
    other = edits_of(stored_edits(workspace), PLAN).head(1)
    save_scenario(workspace, PLAN, other)
    stored = stored_edits(workspace)
    at.button(key="scen_save").click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert "veraltet" in _texts(at, "error")
    pd.testing.assert_frame_equal(stored_edits(workspace), stored)
    assert "Annahme aus dieser Sitzung" not in set(stored_edits(workspace)["note"])
