"""The workspace's offer types and life phases, edited on the page Angebotsarten: checks, keys, store, pages."""

from __future__ import annotations

import io
from collections.abc import Callable

import openpyxl
import pandas as pd
import pytest

from app_pages._shared import md
from geo import VersionConflict, catalog, export, settings
from geo.analysis import analyse
from geo.demo import load_demo
from geo.ingest import check_upload, commit_upload
from geo.ingest.offer_types import (
    KEY_PATTERN,
    commit_chain_config,
    edit_chain_config,
    edit_offer_types,
    edit_phases,
    key_from_label,
)
from geo.store import Workspace
from tests.apptest import open_page

HOSTILE = [
    "<script>alert(1)</script>",
    "$x$ und $y$",
    "=cmd|' /C calc'!A0",
    "{{ 7*191 }}",
    "**fett** [Link](javascript:alert(1))",
]
#: What rendered markup or an evaluated template would leave in a page's Markdown (escaped text never has it).
EVALUATED = ("1337", "<script>alert", "$x$")
FGZ_ROW, LOTSE_ROW, CLINIC_ROW = 2, 3, 6  # rows of the built-in table (from 1, as the page counts them)


def types_table() -> pd.DataFrame:
    """The built-in offer types as the page edits them: ``type`` a column, one row per type."""
    return catalog.read_offer_types().rename_axis("type").reset_index()


def phases_table() -> pd.DataFrame:
    return catalog.read_phases().rename_axis("phase").reset_index()


def new_type(**fields) -> dict:
    return {"type": None, "label": "Elterncafé", "short": "Elterncafé", "plural": "Elterncafés", "analysed": True,
            "radius_m": 800.0, **fields}


def with_rows(table: pd.DataFrame, *rows: dict) -> pd.DataFrame:
    return pd.concat([table, pd.DataFrame(list(rows))], ignore_index=True)


def edit(types: pd.DataFrame | None = None, phases: pd.DataFrame | None = None, *, offers=None):
    return edit_chain_config(catalog.read_offer_types(), types_table() if types is None else types,
                             catalog.read_phases(), phases_table() if phases is None else phases, offers=offers)


def messages(report) -> list[str]:
    return [str(p) for p in report.errors]


# ------------------------------------------------------------------------------------------------------ keys


@pytest.mark.parametrize(("label", "taken", "key"), [
    ("Elterncafé", set(), "elterncafe"),
    ("Elterncafé", {"elterncafe"}, "elterncafe_2"),
    ("Elterncafé", {"elterncafe", "elterncafe_2"}, "elterncafe_3"),
    ("Familienbüro Süd-Ost", set(), "familienbuero_sued_ost"),
    ("Große Straße", set(), "grosse_strasse"),
    ("<script>alert(1)</script>", set(), "script_alert_1_script"),
    ("2. Chance", set(), "t_2_chance"),
    ("!!!", set(), "typ"),
    ("Ein sehr langer Name einer Angebotsart der Stadt mit vielen Wörtern", set(),
     "ein_sehr_langer_name_einer_angebotsa"),
])
def test_key_from_label(label, taken, key):
    assert key_from_label(label, taken, fallback="typ") == key
    assert KEY_PATTERN.match(key)


# ---------------------------------------------------------------------------------------------------- checks


def test_the_built_in_tables_pass_unchanged():
    types, phases, report = edit()
    assert report.problems == []
    assert types.equals(catalog.read_offer_types())
    assert phases.equals(catalog.read_phases())


def test_a_new_type_gets_its_key_and_defaults():
    types, _, report = edit(with_rows(types_table(), new_type(), new_type(label="Elterncafe", short="EC",
                                                                          plural="ECs", color="#123456")))
    assert messages(report) == ["Zeile 9: Angebotsart „Elterncafe“: Der Name „Elterncafe“ gleicht einem Namen der "
                                "Angebotsart in Zeile 8; beim Hochladen von Angeboten wäre nicht klar, welche "
                                "gemeint ist. Wählen Sie einen anderen Namen."]
    types, _, report = edit(with_rows(types_table(), new_type(), new_type(label="Elterncafé Nord", short="EC Nord",
                                                                          plural="EC Nord (alle)")))
    assert report.problems == []
    assert list(types.index[-2:]) == ["elterncafe", "elterncafe_nord"]
    assert types.loc["elterncafe"].to_dict() == {
        "label": "Elterncafé", "short": "Elterncafé", "plural": "Elterncafés",
        "nearest_phrase": "vom nächsten Standort (Elterncafé)", "radius_m": 800.0,
        "color": "#E69F00",  # the first colour of the palette no built-in type has
        "marker": "circle", "analysed": True, "description": "", "phase": "", "target": "0-18",
        "reach_model": "radius", "host_type": "",
    }
    assert types.at["elterncafe_nord", "color"] == "#F0E442"


def _set(row: int, **fields) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(table: pd.DataFrame) -> pd.DataFrame:
        out = table.copy()
        for name, value in fields.items():
            out[name] = out[name].astype(object)
            out.loc[row - 1, name] = value
        return out
    return change


def _drop(*rows: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda table: table.drop(index=[r - 1 for r in rows]).reset_index(drop=True)


def _add(**fields) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda table: with_rows(table, new_type(**fields))


TYPE_CASES = {
    "no label": (_set(2, label=""), ["Zeile 2: Angebotsart „fgz“: Bitte geben Sie eine Bezeichnung an."]),
    "no short": (_set(2, short=" "), ["Zeile 2: Angebotsart „Familiengrundschulzentrum“: Bitte geben Sie einen "
                                      "Kurznamen (für Legenden und Tabellen) an."]),
    "no plural": (_set(2, plural=None), ["Zeile 2: Angebotsart „Familiengrundschulzentrum“: Bitte geben Sie die "
                                         "Mehrzahl (z. B. „Familienbüros“) an."]),
    "no phrase": (_set(1, nearest_phrase=""), ["Zeile 1: Angebotsart „Familienbüro“: Bitte geben Sie die Wendung "
                                               "für den Abstand (z. B. „vom nächsten Familienbüro“) an."]),
    "long label": (_set(1, label="x" * 121), [f"Zeile 1: Angebotsart „{'x' * 121}“: Der Text in der Spalte "
                                              "„Bezeichnung“ ist 121 Zeichen lang; höchstens 120 sind möglich."]),
    "long description": (_set(1, description="y" * 301), [
        "Zeile 1: Angebotsart „Familienbüro“: Der Text in der Spalte „Beschreibung“ ist 301 Zeichen lang; "
        "höchstens 300 sind möglich."]),
    "bad new key": (_add(type="Eltern Café"), [
        "Zeile 8: Angebotsart „Elterncafé“: Die Kennung „Eltern Café“ darf nur Kleinbuchstaben a–z, Ziffern und "
        "„_“ enthalten, muss mit einem Buchstaben beginnen und höchstens 40 Zeichen lang sein."]),
    "key twice": (_add(type="fgz", label="FGZ 2", short="FGZ zwei", plural="FGZs"), [
        "Zeile 8: Angebotsart „FGZ 2“: Die Kennung „fgz“ gibt es schon in Zeile 2."]),
    "no radius": (_set(1, radius_m=None), ["Zeile 1: Angebotsart „Familienbüro“: Eine analysierte Angebotsart "
                                           "braucht einen Radius von 100 bis 20.000 Metern."]),
    "small radius": (_set(1, radius_m=50), ["Zeile 1: Angebotsart „Familienbüro“: Eine analysierte Angebotsart "
                                            "braucht einen Radius von 100 bis 20.000 Metern (angegeben: „50“)."]),
    "radius text": (_set(6, radius_m="weit"), ["Zeile 6: Angebotsart „Geburtsklinik ohne Lotsendienst“: Der Radius "
                                               "„weit“ ist keine Zahl größer als 0."]),
    "colour": (_set(1, color="blau"), ["Zeile 1: Angebotsart „Familienbüro“: Die Farbe „blau“ ist keine Farbangabe "
                                       "wie „#0072B2“ (# und sechs Hexadezimalziffern 0–9, A–F)."]),
    "no colour": (_set(1, color=""), ["Zeile 1: Angebotsart „Familienbüro“: Die Farbe „“ ist keine Farbangabe wie "
                                      "„#0072B2“ (# und sechs Hexadezimalziffern 0–9, A–F)."]),
    "marker": (_set(1, marker="herz"), ["Zeile 1: Angebotsart „Familienbüro“: Das Symbol „herz“ gibt es nicht; "
                                        "möglich sind square, triangle, diamond, circle, plus, star, cross, "
                                        "pentagon, hexagon."]),
    "phase": (_set(1, phase="kleinkind"), ["Zeile 1: Angebotsart „Familienbüro“: Die Lebensphase „kleinkind“ gibt "
                                           "es nicht in der Tabelle der Lebensphasen."]),
    "target": (_set(1, target="3-0"), ["Zeile 1: Angebotsart „Familienbüro“: Die Zielgruppe „3-0“ ist weder "
                                       "„geburten“ noch eine Altersspanne wie „6-10“ (von 6 bis unter 10 Jahren, "
                                       "ganze Jahre von 0 bis 99)."]),
    "model": (_set(1, reach_model="luftlinie"), [
        "Zeile 1: Angebotsart „Familienbüro“: Das Reichweitenmodell „luftlinie“ gibt es nicht; möglich sind "
        "„radius“ (Luftlinie vom Wohnort (Radius)), „zuordnung“ (zugeordnete Einrichtung (z. B. Grundschule, "
        "Geburtsklinik)), „gebiet“ (Zuständigkeitsgebiete (hochgeladene Flächen))."]),
    "no host": (_set(2, host_type=""), [
        "Zeile 2: Angebotsart „Familiengrundschulzentrum“: Beim Reichweitenmodell „zugeordnete Einrichtung (z. B. "
        "Grundschule, Geburtsklinik)“ muss feststehen, an welcher Art von Einrichtung das Angebot läuft (z. B. "
        "Grundschule): Bitte wählen Sie die zugeordnete Einrichtung."]),
    "host itself": (_set(2, host_type="fgz"), ["Zeile 2: Angebotsart „Familiengrundschulzentrum“: Die zugeordnete "
                                               "Einrichtung muss eine andere Angebotsart sein als diese selbst."]),
    "host removed": (_drop(7), ["Zeile 2: Angebotsart „Familiengrundschulzentrum“: Die zugeordnete Einrichtung "
                                "„grundschule“ ist keine Angebotsart der Tabelle (mehr); wählen Sie eine andere."]),
    "same names": (_set(4, short="fgz"), [
        "Zeile 4: Angebotsart „Familienzentrum“: Der Name „fgz“ gleicht einem Namen der Angebotsart in Zeile 2; "
        "beim Hochladen von Angeboten wäre nicht klar, welche gemeint ist. Wählen Sie einen anderen Namen."]),
    "all removed": (_drop(1, 2, 3, 4, 5, 6, 7), ["Es muss mindestens eine Angebotsart geben."]),
}


@pytest.mark.parametrize("case", TYPE_CASES)
def test_every_offer_type_check_names_the_row(case):
    change, expected = TYPE_CASES[case]
    types, phases, report = edit(change(types_table()))
    assert messages(report) == expected
    assert types.equals(catalog.read_offer_types()) and phases.equals(catalog.read_phases())  # nothing changed


def test_all_problems_at_once():
    table = _set(1, label="", color="x", target="alle")(types_table())
    assert messages(edit(_set(2, marker="?")(table))[2]) == [
        "Zeile 1: Angebotsart „familienbuero“: Bitte geben Sie eine Bezeichnung an.",
        "Zeile 1: Angebotsart „familienbuero“: Die Farbe „x“ ist keine Farbangabe wie „#0072B2“ (# und sechs "
        "Hexadezimalziffern 0–9, A–F).",
        "Zeile 1: Angebotsart „familienbuero“: Die Zielgruppe „alle“ ist weder „geburten“ noch eine Altersspanne wie "
        "„6-10“ (von 6 bis unter 10 Jahren, ganze Jahre von 0 bis 99).",
        "Zeile 2: Angebotsart „Familiengrundschulzentrum“: Das Symbol „?“ gibt es nicht; möglich sind square, "
        "triangle, diamond, circle, plus, star, cross, pentagon, hexagon.",
    ]


def test_a_type_with_stored_offers_cannot_be_removed():
    offers = pd.DataFrame({
        settings.OFFER_ID: [f"FB-{i}" for i in range(1, 8)] + ["GK-1", "FZ-1"],
        settings.OFFER_TYPE: ["familienbuero"] * 7 + ["geburtsklinik", "familienzentrum"],
        settings.OFFER_NAME: [f"Büro {i}" for i in range(1, 8)] + ["<b>Klinik</b>", ""],
    })
    types = _set(LOTSE_ROW, reach_model="radius", host_type="")(types_table())
    _, _, report = edit(_drop(1, 6)(types), offers=offers)
    assert messages(report) == [
        "Die Angebotsart „Familienbüro“ kann nicht entfernt werden: Es sind Angebote dieser Art gespeichert: "
        "„Büro 1“ (Nr. FB-1), „Büro 2“ (Nr. FB-2), „Büro 3“ (Nr. FB-3), „Büro 4“ (Nr. FB-4), „Büro 5“ (Nr. FB-5) "
        "und 2 weitere. Behalten Sie die Angebotsart (z. B. ohne Häkchen bei „analysiert“) oder ersetzen Sie "
        "zuerst die Angebote auf der Seite Daten.",
        "Die Angebotsart „Geburtsklinik ohne Lotsendienst“ kann nicht entfernt werden: Es sind Angebote dieser Art "
        "gespeichert: „<b>Klinik</b>“ (Nr. GK-1). Behalten Sie die Angebotsart (z. B. ohne Häkchen bei "
        "„analysiert“) oder ersetzen Sie zuerst die Angebote auf der Seite Daten.",
    ]
    # A type without offers can go.
    new, _, report = edit(_drop(5)(types), offers=offers)
    assert report.ok and "kita_sozialarbeit" not in new.index


PHASE_CASES = {
    "no label": (_set(1, label=""), ["Zeile 1: Lebensphase „geburt“: Bitte geben Sie eine Bezeichnung an."]),
    "no short": (_set(2, short=None), ["Zeile 2: Lebensphase „frühe Kindheit (0–3 Jahre)“: Bitte geben Sie einen "
                                        "Kurznamen (für die Ketten-Matrix) an."]),
    "long short": (_set(2, short="k" * 121), [
        "Zeile 2: Lebensphase „frühe Kindheit (0–3 Jahre)“: Der Text in der Spalte „Kurzname“ ist 121 Zeichen "
        "lang; höchstens 120 sind möglich."]),
    "order text": (_set(3, order="2,5"), ["Zeile 3: Lebensphase „Kita-Alter (3–6 Jahre)“: Die Reihenfolge „2,5“ "
                                           "muss eine ganze Zahl von 1 bis 999 sein."]),
    "order zero": (_set(3, order=0), ["Zeile 3: Lebensphase „Kita-Alter (3–6 Jahre)“: Die Reihenfolge „0“ muss "
                                       "eine ganze Zahl von 1 bis 999 sein."]),
    "order twice": (_set(6, order=5), ["Zeile 6: Lebensphase „Übergang Schule–Beruf (15–25 Jahre)“: Die "
                                        "Reihenfolge 5 hat schon die Lebensphase in Zeile 5; jede Lebensphase "
                                        "braucht ihre eigene Nummer."]),
    "label twice": (_set(6, label="Jugend (10-18 Jahre)"), [
        "Zeile 6: Lebensphase „Jugend (10-18 Jahre)“: Diese Bezeichnung hat schon die Lebensphase in Zeile 5."]),
    "bad new key": (lambda t: with_rows(t, {"phase": "Elternzeit!", "label": "Elternzeit", "short": "EZ"}), [
        "Zeile 7: Lebensphase „Elternzeit“: Die Kennung „Elternzeit!“ darf nur Kleinbuchstaben a–z, Ziffern und "
        "„_“ enthalten, muss mit einem Buchstaben beginnen und höchstens 40 Zeichen lang sein."]),
    "key twice": (lambda t: with_rows(t, {"phase": "kita", "label": "Kita 2", "short": "K2", "order": 9}), [
        "Zeile 7: Lebensphase „Kita 2“: Die Kennung „kita“ hat schon die Lebensphase in Zeile 3."]),
    "used one": (_drop(1), ["Die Lebensphase „rund um die Geburt“ kann nicht entfernt werden: Die Angebotsart "
                            "„Lotsendienst in der Geburtsklinik“ gehört zu ihr. Ordnen Sie sie zuerst einer anderen "
                            "(oder keiner) Lebensphase zu."]),
    "used two": (_drop(3), ["Die Lebensphase „Kita-Alter (3–6 Jahre)“ kann nicht entfernt werden: Die Angebotsarten "
                            "„Familienzentrum“, „Kita-Sozialarbeit“ gehören zu ihr. Ordnen Sie sie zuerst einer "
                            "anderen (oder keiner) Lebensphase zu."]),
    "all removed": (lambda t: t.iloc[:0], [
        "Es muss mindestens eine Lebensphase geben.",
        "Die Lebensphase „rund um die Geburt“ kann nicht entfernt werden: Die Angebotsart „Lotsendienst in der "
        "Geburtsklinik“ gehört zu ihr. Ordnen Sie sie zuerst einer anderen (oder keiner) Lebensphase zu.",
        "Die Lebensphase „frühe Kindheit (0–3 Jahre)“ kann nicht entfernt werden: Die Angebotsart „Familienbüro“ "
        "gehört zu ihr. Ordnen Sie sie zuerst einer anderen (oder keiner) Lebensphase zu.",
        "Die Lebensphase „Kita-Alter (3–6 Jahre)“ kann nicht entfernt werden: Die Angebotsarten „Familienzentrum“, "
        "„Kita-Sozialarbeit“ gehören zu ihr. Ordnen Sie sie zuerst einer anderen (oder keiner) Lebensphase zu.",
        "Die Lebensphase „Grundschulalter (6–10 Jahre)“ kann nicht entfernt werden: Die Angebotsart "
        "„Familiengrundschulzentrum“ gehört zu ihr. Ordnen Sie sie zuerst einer anderen (oder keiner) Lebensphase "
        "zu."]),
}


@pytest.mark.parametrize("case", PHASE_CASES)
def test_every_phase_check_names_the_row(case):
    change, expected = PHASE_CASES[case]
    types, phases, report = edit(phases=change(phases_table()))
    assert messages(report) == expected
    assert types.equals(catalog.read_offer_types()) and phases.equals(catalog.read_phases())


def test_phases_and_types_change_together():
    """A phase goes once no type names it; a type may take a phase added in the same edit, keyed from its label."""
    phases = with_rows(_drop(6)(phases_table()), {"label": "Schwangerschaft", "short": "Schwanger", "order": None})
    types = _set(LOTSE_ROW, phase="schwangerschaft")(types_table())
    new_types, new_phases, report = edit(types, phases)
    assert report.problems == []
    assert list(new_phases.index) == ["geburt", "fruehe_kindheit", "kita", "grundschule", "jugend", "schwangerschaft"]
    assert new_phases.at["schwangerschaft", "order"] == 7  # after the last order number there was
    assert new_types.at["lotsendienst", "phase"] == "schwangerschaft"
    # Reordered: the table comes back sorted by order.
    reordered = _set(1, order=10)(phases_table())
    assert list(edit(phases=reordered)[1].index)[-1] == "geburt"
    # The phase check on its own: the types in force decide; the types' check on its own: the phases in force.
    assert not edit_phases(catalog.read_phases(), _drop(1)(phases_table()),
                           offer_types=catalog.read_offer_types())[1].ok
    assert edit_phases(catalog.read_phases(), _drop(6)(phases_table()), offer_types=catalog.read_offer_types())[1].ok
    assert messages(edit_offer_types(catalog.read_offer_types(), types)[1]) == [
        "Zeile 3: Angebotsart „Lotsendienst in der Geburtsklinik“: Die Lebensphase „schwangerschaft“ gibt es nicht "
        "in der Tabelle der Lebensphasen."]


def test_texts_are_tidied_and_age_bands_written_one_way():
    table = _set(1, label="  Familien\tbüro \n Nord ", target="0 – 3", radius_m="1.250")(types_table())
    types, _, report = edit(_set(3, target="Geburten")(table))
    assert report.problems == []
    assert types.loc["familienbuero", ["label", "target", "radius_m"]].tolist() == ["Familien büro Nord", "0-3",
                                                                                    1250.0]
    assert types.at["lotsendienst", "target"] == "geburten"


# ------------------------------------------------------------------------------------------- store, versions


def test_round_trip_edit_store_dataset(practice: Workspace):
    before = practice.dataset()
    table = with_rows(_set(FGZ_ROW, short="Grundschulzentrum", target="6-11", radius_m=900)(types_table()),
                      new_type(phase="kita", target="3-6", marker="star", description="Offener Treff"))
    phases = with_rows(phases_table(), {"label": "Elternzeit", "short": "Elternzeit", "order": None})
    types, new_phases, report = edit_chain_config(before.offer_types, table, before.phases, phases,
                                                  offers=before.offers)
    assert report.problems == []
    versions = {layer: before.stored_versions.get(layer) for layer in ("offer_types", "phases", "offers")}
    assert versions == {"offer_types": None, "phases": None, "offers": 1}
    saved = commit_chain_config(practice, types, new_phases, base_versions=versions, comment="neu")
    assert [(i.layer, i.version, i.rows) for i in saved.values()] == [("offer_types", 1, 8), ("phases", 1, 7)]
    after = practice.dataset()
    assert after.offer_types.equals(types)
    assert after.phases.equals(new_phases)
    assert after.offer_types.loc["fgz", ["short", "target", "radius_m"]].tolist() == ["Grundschulzentrum", "6-11",
                                                                                      900.0]
    assert after.offer_types.loc["elterncafe", ["phase", "marker", "description"]].tolist() == [
        "kita", "star", "Offener Treff"]
    assert list(after.phases.index)[-2:] == ["uebergang", "elternzeit"]
    # Confirming the same tables again adds no version.
    again = commit_chain_config(practice, types, new_phases, base_versions=after.stored_versions | {"offers": 1})
    assert [i.version for i in again.values()] == [1, 1]
    assert practice.check() == []


def test_order_ties_are_refused_when_typed(practice: Workspace):
    phases = with_rows(phases_table(), {"label": "Elternzeit", "short": "Elternzeit", "order": 1})
    assert messages(edit(phases=phases)[2]) == [
        "Zeile 7: Lebensphase „Elternzeit“: Die Reihenfolge 1 hat schon die Lebensphase in Zeile 1; jede Lebensphase "
        "braucht ihre eigene Nummer."]


def test_a_stale_confirm_is_refused_and_nothing_is_written(practice: Workspace):
    seen = practice.dataset()
    versions = {layer: seen.stored_versions.get(layer) for layer in ("offer_types", "phases", "offers")}
    mine, phases, _ = edit(_set(1, label="Familienbüro (mein Stand)")(types_table()))
    # Another session stores its offer types first.
    theirs, _, _ = edit(_set(1, label="Familienbüro (anderer Stand)")(types_table()))
    commit_chain_config(practice, theirs, phases, base_versions=versions)
    with pytest.raises(VersionConflict, match=r"Angebotsarten: Version 1 statt keine Daten"):
        commit_chain_config(practice, mine, phases, base_versions=versions)
    assert practice.dataset().offer_types.at["familienbuero", "label"] == "Familienbüro (anderer Stand)"
    assert practice.history("offer_types")["version"].tolist() == [1]
    # New offers stored in between (they decide which types may go) refuse the confirm too.
    state = practice.dataset()
    versions = {layer: state.stored_versions.get(layer) for layer in ("offer_types", "phases", "offers")}
    offers = state.offers.iloc[:-1]
    practice.save("offers", offers, filename="weniger.csv")
    with pytest.raises(VersionConflict, match=r"Angebote: Version 2 statt 1"):
        commit_chain_config(practice, mine, phases, base_versions=versions)
    assert practice.history("offer_types")["version"].tolist() == [1]


def test_an_offers_check_made_before_a_change_of_types_is_refused(practice: Workspace):
    upload = elterncafe_offers()
    types, phases, _ = edit(with_rows(types_table(), new_type()))
    check = check_upload(upload, "cafes.csv", kind="offers", context=practice.dataset())
    assert not check.report.ok  # "Elterncafé" is no type yet
    commit_chain_config(practice, types, phases, base_versions={})
    check = check_upload(upload, "cafes.csv", kind="offers", context=practice.dataset())
    assert check.report.ok, check.report.errors
    # The types change again before the confirm: the offers are not stored.
    commit_chain_config(practice, _rename(types, "elterncafe", "Elterncafé (alt)"), phases, base_versions={})
    with pytest.raises(VersionConflict, match="Angebotsarten: Version 2 statt 1"):
        commit_upload(practice, check, filename="cafes.csv")


def _rename(types: pd.DataFrame, key: str, label: str) -> pd.DataFrame:
    out = types.copy()
    out.loc[key, "label"] = label
    return out


def elterncafe_offers() -> bytes:
    """Two Elterncafés inside the demo's districts (the coordinates of demo offers), named by the type's label."""
    lines = ["Nr;Angebotsart;Name;Adresse;Kapazität;Rechtswert;Hochwert",
             "EC-01;Elterncafé;Elterncafé Altstadt;Kirchstraße 87;;415063,9;5727859,9",
             "EC-02;elterncafe;Elterncafé Kanalufer;Kirchstraße 105;;415682,0;5731159,8"]
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------- hostile text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_as_written(practice: Workspace, text):
    fields = {"label": text, "short": f"{text} kurz", "plural": f"{text} (alle)", "nearest_phrase": f"von {text}",
              "description": text}
    table = with_rows(types_table(), new_type(**fields))
    phases = with_rows(phases_table(), {"label": text, "short": f"{text}!", "description": text})
    types, new_phases, report = edit(table, phases)
    assert report.problems == []
    commit_chain_config(practice, types, new_phases, base_versions={})
    stored = practice.dataset()
    key = types.index[-1]
    assert stored.offer_types.loc[key, list(fields)].tolist() == list(fields.values())
    assert stored.phases.iloc[-1][["label", "short", "description"]].tolist() == [text, f"{text}!", text]
    assert KEY_PATTERN.match(key) and KEY_PATTERN.match(stored.phases.index[-1])


@pytest.mark.parametrize("field", ["color", "marker", "target", "reach_model", "host_type", "phase"])
def test_hostile_text_in_a_choice_is_refused_and_quoted(field):
    _, _, report = edit(_set(2, **{field: HOSTILE[0]})(types_table()))
    assert len(report.errors) == 1 and HOSTILE[0] in str(report.errors[0]) and report.errors[0].row == 2


def test_very_long_and_empty_texts_are_refused():
    _, _, report = edit(_set(1, label="<b>" * 5000, short="", plural="")(types_table()))
    assert [p.column for p in report.errors] == ["label", "short", "plural"]


def test_formula_in_a_short_name_is_neutralised_in_exports():
    demo = load_demo()
    types = demo.offer_types.copy()
    types.loc["fgz", "short"] = HOSTILE[2]
    data = demo.with_layers(offer_types=types)
    book = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes(data, analyse(data))))
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'" + HOSTILE[2] in cells
    assert not [c for c in cells if c.startswith("=")]


# ---------------------------------------------------------------------------------------------------- pages


PAGE = "app_pages/9_Angebotsarten.py"


def markdown_texts(at) -> list[str]:
    return [str(e.value) for kind in ("markdown", "caption", "warning", "info", "error", "success")
            for e in at.get(kind)]


def editor(at, name: str):
    return next(e for e in at.dataframe if str(e.key).startswith(f"ot_{name}_"))


def set_edits(at, name: str, *, edited=None, added=None, deleted=None) -> None:
    at.session_state[editor(at, name).key] = {"edited_rows": edited or {}, "added_rows": added or [],
                                              "deleted_rows": deleted or []}
    at.run(timeout=120)
    assert not at.exception, at.exception


def test_page_on_the_demo_shows_the_tables_read_only():
    at = open_page(PAGE, timeout=120)
    assert not at.exception, at.exception
    assert not [e for e in at.dataframe if str(e.key).startswith("ot_")]  # no editor
    shown = [e.value for e in at.dataframe]
    assert len(shown) == 2
    assert "Familiengrundschulzentrum" in shown[0]["Bezeichnung"].tolist()
    assert shown[1]["Bezeichnung"].tolist()[0] == "rund um die Geburt"
    assert any("schreibgeschützt" in t and "Übungskopie" in t for t in markdown_texts(at))
    assert "ot_save" not in [b.key for b in at.button]


def test_page_edit_a_short_name_save_and_see_it_on_the_analyse_page(practice):
    at = open_page(PAGE, timeout=120)
    assert not at.exception, at.exception
    assert at.button(key="ot_save").disabled  # nothing changed yet
    table = editor(at, "types").value
    assert table["Kennung"].tolist() == list(catalog.read_offer_types().index)
    assert table.loc[1, "Lebensphase"] == "Grundschulalter (6–10 Jahre)"
    assert table.loc[1, "zugeordnete Einrichtung"] == "Grundschule"
    assert table.loc[1, "Symbol"] == "Dreieck"

    set_edits(at, "types", edited={1: {"Kurzname": "Grundschulzentrum", "Radius (m)": 700}})
    assert not at.error
    assert not at.button(key="ot_save").disabled
    at.button(key="ot_save").click().run(timeout=120)
    assert not at.exception, at.exception
    assert any(t.startswith("Gespeichert: Angebotsarten v1") for t in markdown_texts(at))
    assert practice.dataset().offer_types.loc["fgz", ["short", "radius_m"]].tolist() == ["Grundschulzentrum", 700.0]
    assert at.button(key="ot_save").disabled  # the editor shows the stored state again
    assert at.number_input(key="pa_r_fgz").value == 700  # the new default radius, not the one remembered

    at.switch_page("app_pages/2_Analyse.py").run(timeout=120)
    assert not at.exception, at.exception
    reaches = next(t for t in markdown_texts(at) if t.startswith("Indikatoren, Statusindex und Reichweite"))
    assert "Grundschulzentrum 700 m" in reaches and "FGZ" not in reaches
    gaps = next(e.value for e in at.dataframe if "Rang" in e.value.columns)
    assert "Grundschulzentrum" in set(gaps["Angebotsart"]) and "FGZ" not in set(gaps["Angebotsart"])


def test_page_refuses_a_bad_edit_and_a_removal(practice):
    at = open_page(PAGE, timeout=120)
    set_edits(at, "types", edited={0: {"Farbe": "rot"}}, deleted=[6])
    errors = [e.value for e in at.error]
    assert errors[:2] == [
        "Zeile 1: Angebotsart „Familienbüro“: Die Farbe „rot“ ist keine Farbangabe wie „\\#0072B2“ \\(\\# und sechs "
        "Hexadezimalziffern 0–9, A–F\\)\\.",
        "Zeile 2: Angebotsart „Familiengrundschulzentrum“: Die zugeordnete Einrichtung „grundschule“ ist keine "
        "Angebotsart der Tabelle \\(mehr\\); wählen Sie eine andere\\.",
    ]
    # the demo stores 45 Grundschulen: their type cannot be removed either
    assert len(errors) == 3 and errors[2].startswith("Die Angebotsart „Grundschule“ kann nicht entfernt werden")
    assert at.button(key="ot_save").disabled
    set_edits(at, "types", deleted=[0])
    assert [e.value for e in at.error][0].startswith("Die Angebotsart „Familienbüro“ kann nicht entfernt werden")
    assert at.button(key="ot_save").disabled
    assert practice.history("offer_types").empty


def test_page_new_type_is_analysed_once_its_offers_are_uploaded(practice):
    at = open_page(PAGE, timeout=120)
    set_edits(at, "types", added=[{"Bezeichnung": "Elterncafé", "Kurzname": "Elterncafé", "Mehrzahl": "Elterncafés",
                                   "analysiert": True, "Radius (m)": 800, "Lebensphase": "Kita-Alter (3–6 Jahre)",
                                   "Zielgruppe": "3-6", "Symbol": "Stern"}])
    set_edits(at, "phases", added=[{"Bezeichnung": "Schwangerschaft", "Kurzname": "Schwanger"}])
    assert not at.error, [e.value for e in at.error]
    at.button(key="ot_save").click().run(timeout=120)
    assert not at.exception, at.exception
    dataset = practice.dataset()
    assert dataset.offer_types.loc["elterncafe", ["phase", "target", "marker", "radius_m"]].tolist() == [
        "kita", "3-6", "star", 800.0]
    assert dataset.phases.loc["schwangerschaft", "order"] == 7
    assert "elterncafe" in dataset.types_without_offers  # not analysed yet: no offers

    at.switch_page("app_pages/3_Daten.py").run(timeout=120)
    at.file_uploader(key="up_file_offers").upload("cafes.csv", elterncafe_offers()).run(timeout=120)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="up_save").click().run(timeout=120)
    assert not at.exception, at.exception
    assert (practice.dataset().offers[settings.OFFER_TYPE] == "elterncafe").sum() == 2

    at.switch_page("app_pages/2_Analyse.py").run(timeout=120)
    assert not at.exception, at.exception
    reaches = next(t for t in markdown_texts(at) if t.startswith("Indikatoren, Statusindex und Reichweite"))
    assert "Elterncafé 800 m" in reaches
    assert "elterncafe" in analyse(practice.dataset()).offer_types


def test_pages_escape_hostile_type_and_phase_names(practice):
    text = "<script>alert(1)</script> $x$ {{ 7*191 }}"
    types, phases, report = edit(_set(FGZ_ROW, label=text, short=f"{text} kurz", plural=f"{text} alle",
                                      nearest_phrase=text)(types_table()),
                                 _set(4, label=text, short=f"{text}!")(phases_table()))
    assert report.ok
    commit_chain_config(practice, types, phases, base_versions={})
    at = open_page(PAGE, timeout=120)
    for page in (PAGE, "app_pages/0_Uebersicht.py", "app_pages/2_Analyse.py", "app_pages/1_Karte.py",
                 "app_pages/6_Methodik.py", "app_pages/5_Export.py", "app_pages/3_Daten.py",
                 "app_pages/8_Steckbrief.py"):
        at.switch_page(page).run(timeout=120)
        assert not at.exception, (page, at.exception)
        texts = markdown_texts(at) + [str(m.label) for m in at.metric]
        for shown in texts:
            for residue in EVALUATED:
                assert residue not in shown, (page, shown)
        if page == "app_pages/2_Analyse.py":  # the escaped text is there: the check above looked at it
            assert any(f"{md(text)} kurz 1 km" in t for t in texts), texts
    at.switch_page(PAGE).run(timeout=120)
    assert editor(at, "types").value.loc[1, "Bezeichnung"] == text  # the table cell: the text as written


def test_everything_downstream_reads_the_workspace_types(practice):
    """Upload type recognition, the offers template, the map, the print legend and the exports: the stored table."""
    from geo.ingest.templates import upload_template
    from geo.render.print.content import map_content
    from geo.render.web.map_data import map_data

    types, phases, _ = edit(with_rows(types_table(), new_type(color="#123456", marker="star")))
    commit_chain_config(practice, types, phases, base_versions={})
    template = upload_template("offers", practice.dataset())
    assert "Elterncafé" in template.explanation().to_string()
    commit_upload(practice, check_upload(elterncafe_offers(), "cafes.csv", kind="offers",
                                         context=practice.dataset()), filename="cafes.csv")
    dataset = practice.dataset()
    result = analyse(dataset)
    assert "elterncafe" in result.offer_types and result.radii["elterncafe"] == 800.0
    web = map_data(result, dataset, offer_types=["elterncafe"])
    assert [(t["label"], t["color"]) for t in web["types"].values()] == [("Elterncafés", "#123456")]
    printed = map_content("offers", dataset, result)
    assert [(layer.marker, layer.color) for layer in printed.offers if layer.offer_type == "elterncafe"] == [
        ("*", "#123456")]  # the star, in the type's colour
    assert "Elterncafés (2)" in [item.label for section in printed.sections for item in section.items]
    assert any("Elterncafé" in h for h in export.csv_bytes(dataset, result).decode("utf-8-sig").splitlines()[0]
               .split(";"))
