"""``python -m geo suggest``: coverage before and after, gaps closed, ranked sites as a German CSV – and the stored
offers never change."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from geo import settings
from geo.analysis import analyse, column
from geo.cli import _people, main
from geo.formatting import format_number


def _fingerprint(workspace) -> tuple[list, dict[str, str]]:
    """The stored versions with their payload checksums, and the bytes of every file of the workspace."""
    history = workspace.history()[["layer", "version", "sha256", "active"]].values.tolist()
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(workspace.path.rglob("*"))
             if p.is_file()}
    return history, files


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_three_new_fgz_on_the_practice_copy(practice, capsys, tmp_path):
    before = _fingerprint(practice)
    out_file = tmp_path / "standorte.csv"
    code, out, err = _run(capsys, "suggest", "--offer-type", "fgz", "--new", "3", "--grid", "--exclude", "195001",
                          "--out", str(out_file))
    assert code == 0, err
    assert _fingerprint(practice) == before  # nothing stored, nothing touched
    lines = out.splitlines()
    assert lines[0] == "Standortvorschlag: Familiengrundschulzentren (FGZ), 3 neue Standorte"
    assert "Bedarfsgewichte: Status sehr niedrig ×3, Status niedrig ×2, übrige Sozialräume ×1" in lines
    assert "Löserstatus: optimal gelöst" in out and "Hinweis: 1 Kandidaten ausgeschlossen" in lines
    # "before" is what the analysis shows for the stored data
    result = analyse(practice.dataset())
    reached = result.key_figures[column("in_need_reached", "fgz")]
    d = result.districts
    people = (d[column("target", "fgz")] * d[column("share_in_reach", "fgz")]).fillna(0).sum()
    assert (f"Abdeckung vorher: {format_number(round(people))} Kinder von 6 bis unter 10 Jahren in Reichweite, "
            f"davon {format_number(round(reached))} in Sozialräumen mit hohem Bedarf") in lines
    assert any(line.startswith("Versorgungslücken geschlossen: ") for line in lines)
    assert lines[-1] == "Die gespeicherten Familiengrundschulzentren (FGZ) bleiben unverändert (nur ein Vorschlag)."

    raw = out_file.read_bytes()
    assert raw.startswith("\ufeff".encode())  # UTF-8 with BOM for Excel
    sites = pd.read_csv(out_file, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Kennung": str})
    assert sites.columns[:5].tolist() == ["Rang", "Kennung", "Name", "Adresse", "Herkunft"]
    assert "Zugewinn (Kinder 6–9)" in sites.columns and "Hochwert (EPSG:25832)" in sites.columns
    assert sites["Rang"].tolist() == [1, 2, 3] and "195001" not in sites["Kennung"].tolist()
    assert sites["Rechtswert (EPSG:25832)"].between(400_000, 440_000).all()  # decimal commas read back
    ranked = [line.strip() for line in lines if line.startswith("  ")]
    assert [r.split(". ", 1)[0] for r in ranked] == ["1", "2", "3"]
    assert f"(Kennung {sites['Kennung'][0]}" in ranked[0]


def test_a_candidate_list_with_hostile_names_and_the_fewest_sites_for_a_share(practice, capsys, tmp_path):
    listing = tmp_path / "kandidaten.csv"
    listing.write_bytes("Nr;Name;Rechtswert;Hochwert\r\n=1+1;=cmd|' /C calc'!A0;418654,9;5727367,5\r\n"
                        "K-2;<script>alert(1)</script> {{ 7*191 }} $x$;420148,4;5726768,5\r\n".encode("cp1252"))
    before = _fingerprint(practice)
    out_file = tmp_path / "standorte.csv"
    code, out, err = _run(capsys, "suggest", "--offer-type", "fgz", "--share", "90 %", "--new", "5", "--no-hosts",
                          "--candidates", str(listing), "--out", str(out_file))
    assert code == 0, err
    assert _fingerprint(practice) == before
    assert "Kandidatenliste: kandidaten.csv (2 Zeilen verwendbar)" in out
    assert "Kandidaten: 2 (hochgeladene Kandidatenliste: 2)" in out
    # the terminal shows the names as they are; the CSV keeps them as text Excel does not run
    assert "1. =cmd|' /C calc'!A0 (Kennung =1+1, Sozialraum 0305)" in out
    assert "2. <script>alert(1)</script> {{ 7*191 }} $x$ (Kennung K-2, Sozialraum 0401)" in out
    rows = out_file.read_text(encoding="utf-8-sig").splitlines()
    assert rows[1].startswith("1;'=1+1;'=cmd|' /C calc'!A0;;hochgeladene Kandidatenliste;0305;Buchenhain;;")
    assert rows[2].startswith("2;K-2;<script>alert(1)</script> {{ 7*191 }} $x$;;")
    code, out, _ = _run(capsys, "suggest", "--offer-type", "fgz", "--share", "0,1", "--no-hosts", "--candidates",
                        str(listing))
    assert code == 0 and "Hinweis: 10 % sind mit den bestehenden Angeboten schon erreicht." in out


def test_errors_end_in_german_and_store_nothing(practice, capsys, tmp_path):
    before = _fingerprint(practice)
    code, _, err = _run(capsys, "suggest", "--offer-type", "kita", "--new", "2")
    assert code == 2 and "Für die Angebotsart „kita“ lassen sich keine Standorte vorschlagen" in err
    code, _, err = _run(capsys, "suggest", "--offer-type", "fgz")
    assert code == 2 and "Bitte angeben, wie viele neue Standorte (--new 3)" in err
    code, _, err = _run(capsys, "suggest", "--offer-type", "fgz", "--new", "2", "--candidates",
                        str(tmp_path / "fehlt.csv"))
    assert code == 2 and "Die Kandidatenliste" in err and "gibt es nicht" in err
    bad = tmp_path / "falsch.csv"
    bad.write_bytes(b"Nr;Name;Rechtswert;Hochwert\n1;A;418654,9;zwei\n2;B;;\n")
    code, out, err = _run(capsys, "suggest", "--offer-type", "fgz", "--new", "2", "--candidates", str(bad),
                          "--out", str(tmp_path / "x.csv"))
    assert code == 1 and "Kein Vorschlag" in err
    assert "Zeile 2: „zwei“ in Spalte „Hochwert“ ist keine Zahl (Koordinate)." in out
    assert "Zeile 3: Die Zeile nennt weder Koordinaten noch eine Schulnummer" in out
    assert not (tmp_path / "x.csv").exists()
    with pytest.raises(SystemExit):
        main(["suggest", "--offer-type", "fgz", "--share", "150"])
    assert _fingerprint(practice) == before


def test_the_demo_is_read_only_and_still_gets_a_suggestion(capsys):
    code, out, err = _run(capsys, "suggest", "--offer-type", "lotsendienst", "--new", "1", "--workspace", "demo")
    assert code == 0, err
    assert "Standortvorschlag: Lotsendienste in Geburtskliniken, 1 neue Standorte" in out


def test_people_counts_are_protected():
    assert [_people(v) for v in (0, 1.2, 2.4, 2.6, 1234.4)] == ["0", "< 3", "< 3", "3", "1.234"]
    assert settings.MIN_COUNT_SHOWN == 3


def test_the_candidate_template_from_the_command_line_feeds_suggest(practice, capsys, tmp_path):
    template = tmp_path / "kandidaten.xlsx"
    code, out, _ = _run(capsys, "template", "candidates", "--format", "xlsx", "--out", str(template))
    assert code == 0 and f"Vorlage Kandidatenstandorte geschrieben: {template}" in out
    code, out, err = _run(capsys, "suggest", "--offer-type", "fgz", "--new", "1", "--no-hosts", "--candidates",
                          str(template))
    assert code == 0, err
    assert "Kandidatenliste: kandidaten.xlsx (2 Zeilen verwendbar)" in out
    # the second example names the first Grundschule, where the demo has an FGZ already: left out
    assert "Kandidaten: 1 (hochgeladene Kandidatenliste: 1)" in out
    assert "Hinweis: 1 Kandidaten stehen schon an einem Angebot dieser Art und wurden weggelassen" in out
