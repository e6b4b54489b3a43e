"""Several workspaces in one data folder: a city starts empty, the demo is read-only and never leaks in."""

from __future__ import annotations

import sqlite3

import pytest

from geo import settings
from geo._errors import DataError
from geo.demo import load_demo
from geo.ingest import check_upload
from geo.store import (
    DB_NAME,
    DEMO,
    DemoWorkspace,
    Workspace,
    create_workspace,
    default_ref,
    list_workspaces,
    open_workspace,
    set_default,
)
from geo.store.workspaces import DEFAULT_FILE, slug
from tests.apptest import open_page

TEMPLATE = (settings.DATA_DIR / "vorlagen" / "angebote.csv").read_bytes()
INDICATORS = (settings.DATA_DIR / "vorlagen" / "indikatoren.csv").read_bytes()


def test_a_new_data_folder_has_only_the_demo(data_root):
    entries = list_workspaces()
    assert [(e.ref, e.origin, e.default) for e in entries] == [(DEMO, "demo", True)]
    assert isinstance(open_workspace(), DemoWorkspace)
    assert not any(data_root.iterdir())  # listing creates nothing


def test_a_city_workspace_starts_empty_and_becomes_the_default(data_root):
    city = create_workspace("Castrop-Rauxel", ags="05562004")
    assert city.path == data_root / "castrop-rauxel"
    assert default_ref() == "castrop-rauxel" and (data_root / DEFAULT_FILE).read_text().strip() == "castrop-rauxel"
    data = city.dataset()
    assert data.city == "Castrop-Rauxel" and data.workspace == "castrop-rauxel"
    assert data.missing_layers == ["districts", "indicators"]
    assert data.districts.empty and data.offers.empty and data.indicators.empty and data.residents is None
    assert data.synthetic is False and data.versions == {}
    assert data.types_without_offers == ["familienbuero", "fgz", "lotsendienst", "familienzentrum",
                                         "kita_sozialarbeit"]
    # A second city and a practice copy do not take the default away from the first city.
    create_workspace("Herne")
    create_workspace("Übung", demo_copy=True)
    assert default_ref() == "castrop-rauxel"
    assert [(e.ref, e.label, e.default) for e in list_workspaces()] == [
        (DEMO, "Musterstadt (Demo)", False),
        ("castrop-rauxel", "Castrop-Rauxel (AGS 05562004)", True),
        ("herne", "Herne", False),
        ("uebung", "Übung (Übungskopie)", False),
    ]


def test_workspaces_are_found_by_folder_name_path_or_city_name(data_root):
    city = create_workspace("Mülheim an der Ruhr")
    assert city.path.name == "muelheim-an-der-ruhr"
    for ref in ("muelheim-an-der-ruhr", "Mülheim an der Ruhr", "MÜLHEIM AN DER RUHR", str(city.path)):
        assert open_workspace(ref).path == city.path
    assert isinstance(open_workspace("demo"), DemoWorkspace)
    with pytest.raises(DataError, match="Einen Arbeitsbereich „Bottrop“ gibt es nicht. Vorhanden: demo, "
                                        "muelheim-an-der-ruhr"):
        open_workspace("Bottrop")


def test_same_name_twice_gets_its_own_folder(data_root):
    first, second = create_workspace("Hamm"), create_workspace("Hamm")
    assert (first.path.name, second.path.name) == ("hamm", "hamm-2")


@pytest.mark.parametrize(
    ("name", "ags", "message"),
    [
        ("", None, "Bitte geben Sie den Namen"),
        ("   ", None, "Bitte geben Sie den Namen"),
        ("???", None, "mindestens einen Buchstaben"),
        ("Musterstadt", None, "Name der eingebauten Demo"),
        ("x" * 81, None, "zu lang"),
        ("Hagen", "0591", "kein Amtlicher Gemeindeschlüssel"),
    ],
)
def test_unusable_names_are_refused_and_create_nothing(data_root, name, ags, message):
    with pytest.raises(DataError, match=message):
        create_workspace(name, ags=ags)
    assert not any(data_root.iterdir())


def test_hostile_names_stay_inside_the_data_folder_and_are_kept_as_text(data_root):
    name = "../../etc/<img src=x onerror=alert(1)> {{ 7*7 }} $x$"
    ws = create_workspace(name)
    assert ws.path.parent == data_root and ws.path.name == slug(name) == "etc-img-src-x-onerror-alert-1-7-7-x"
    assert ws.name == name and ws.dataset().city == name


def test_the_demo_is_read_only(data_root):
    demo = open_workspace(DEMO)
    with pytest.raises(DataError, match="Die Demo Musterstadt ist schreibgeschützt"):
        demo.save("offers", load_demo().offers, filename="x.csv")
    with pytest.raises(DataError, match="schreibgeschützt"):
        demo.reset("offers")
    assert demo.history().empty and demo.active_versions() == {}
    assert not any(data_root.iterdir())


def test_a_practice_copy_holds_the_demo_as_version_1_and_keeps_the_stamp(data_root):
    copy = create_workspace("Übung", demo_copy=True)
    data, demo = copy.dataset(), load_demo()
    assert data.synthetic is True and settings.SYNTHETIC_STAMP in data.source
    assert {layer: info.version for layer, info in copy.active_versions().items()} == {
        "districts": 1, "offers": 1, "residents": 1, "indicators": 1, "definitions": 1, "sozialindex": 1,
    }
    assert data.indicator_definitions.equals(demo.indicator_definitions)
    assert data.sozialindex[[settings.SCHOOL_ID, settings.SOZIALINDEX]].astype(str).equals(
        demo.sozialindex.astype(str))
    assert len(data.offers) == len(demo.offers) and len(data.residents) == len(demo.residents)


def test_uploads_before_the_boundaries_are_refused_not_matched_to_another_city(data_root):
    city = create_workspace("Unna")
    for kind, data in (("indicators", INDICATORS), ("offers", TEMPLATE)):
        check = check_upload(data, f"{kind}.csv", kind=kind, context=city.dataset())
        assert not check.ok
        assert [str(p) for p in check.report.errors] == [
            "Unna hat noch keine Sozialraumgrenzen. Bitte laden Sie zuerst die Grenzen hoch; danach werden "
            "Kennungen und Lage gegen diese Stadt geprüft."
        ]
    assert city.active_versions() == {}


def test_default_can_be_set_and_the_environment_wins(data_root, monkeypatch):
    create_workspace("Bochum")
    create_workspace("Herne")
    set_default("Herne")
    assert default_ref() == "herne"
    set_default("demo")
    assert isinstance(open_workspace(), DemoWorkspace)
    monkeypatch.setattr(settings, "DEFAULT_WORKSPACE", "bochum")
    assert open_workspace().path.name == "bochum"


def test_a_broken_workspace_is_listed_and_does_not_hide_the_others(data_root):
    create_workspace("Bochum")
    broken = data_root / "kaputt"
    broken.mkdir()
    (broken / DB_NAME).write_bytes(b"kein SQLite")
    refs = {e.ref: e.name for e in list_workspaces()}
    assert refs["kaputt"] == "kaputt (nicht lesbar)" and "bochum" in refs
    with pytest.raises(DataError, match="kein Arbeitsbereich des Präventionsatlas"):
        open_workspace("kaputt").dataset()


def test_a_workspace_of_the_old_single_layout_is_still_listed(data_root):
    Workspace(data_root).save("offers", load_demo().offers.head(2), filename="alt.csv")
    with sqlite3.connect(data_root / DB_NAME) as conn:
        conn.execute("DROP TABLE meta")
    conn.close()
    entries = {e.name: e.ref for e in list_workspaces()}
    assert entries["Arbeitsbereich (bisher)"] == str(data_root)
    assert len(open_workspace(str(data_root)).dataset().offers) == 2


# ------------------------------------------------------------------------------------------------ the pages


def test_the_daten_page_of_the_demo_offers_to_create_a_city_and_switches_to_it(data_root):
    at = open_page("app_pages/3_Daten.py", timeout=120)
    assert not at.exception
    assert any("schreibgeschützt" in i.value for i in at.info)
    assert [u for u in at.get("file_uploader")] == []  # nothing can be uploaded into the demo
    at.text_input(key="ws_new_name").set_value("<b>Bergkamen</b> $1$")
    at.text_input(key="ws_new_ags").set_value("05978004")
    at.button(key="ws_create").click().run()
    assert not at.exception
    assert "Arbeitsbereich „\\<b\\>Bergkamen\\</b\\> \\$1\\$“ angelegt" in at.success[0].value
    assert at.sidebar.selectbox(key="ws_workspace").value == "b-bergkamen-b-1"
    assert any("Als Erstes die **Sozialraumgrenzen**" in i.value for i in at.info)
    assert at.radio(key="up_kind").value == "districts"
    assert open_workspace("b-bergkamen-b-1").meta()["ags"] == "05978004"


def test_an_empty_city_says_what_is_missing_on_every_analysis_page(data_root):
    create_workspace("Selm")
    for script in (None, "app_pages/1_Karte.py", "app_pages/2_Analyse.py", "app_pages/5_Export.py",
                   "app_pages/6_Methodik.py"):
        at = open_page(script, timeout=120)
        assert not at.exception, (script, at.exception)
        assert not at.error, (script, [e.value for e in at.error])
        notice = [i.value for i in at.info if "für die Analyse fehlen noch Daten" in i.value]
        assert notice and "Sozialraumgrenzen" in notice[0] and "Indikatoren" in notice[0], script
        assert not [m for m in at.markdown if m.value.startswith(":orange-badge[")]  # no demo stamp, no demo data
