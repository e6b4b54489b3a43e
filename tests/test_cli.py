"""``python -m geo``: the result table without the browser, from the demo and from a workspace."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from geo import settings
from geo.cli import main
from geo.demo import load_demo


def read_german(path):
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Sozialraum-Nr.": str})


def test_analyse_writes_the_protected_table_for_excel(tmp_path, capsys):
    out = tmp_path / "ergebnis.csv"
    assert main(["analyse", "--out", str(out), "--radius", "fgz=800"]) == 0
    assert "57 Sozialräume geschrieben" in capsys.readouterr().out
    table = read_german(out)
    assert table["Sozialraum-Nr."].tolist()[:2] == ["0101", "0102"]
    # Districts under 300 inhabitants carry no rates: they are suppressed, not printed.
    small = table[table["Einwohner"] < 300]
    assert len(small) == 3 and set(small["Statusklasse"]) == {"nicht klassifiziert"}
    assert set(small["Arbeitslosenquote (%)"].astype(str)) == {"•"}


def test_analyse_uses_the_workspace_and_another_year(tmp_path, practice):
    demo = load_demo()
    practice.save("offers", demo.offers[demo.offers[settings.OFFER_TYPE] != "fgz"], filename="ohne_fgz.csv")
    out = tmp_path / "t.csv"
    run = subprocess.run(
        [sys.executable, "-m", "geo", "analyse", "--workspace", str(practice.path), "--year", "2023", "--out",
         str(out)], capture_output=True, text=True, cwd=settings.REPO_DIR, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert f"Arbeitsbereich: Übung ({practice.path})" in run.stderr
    assert "Angebote v2 (ohne_fgz.csv" in run.stderr and "Sozialräume v1 (Demo Musterstadt (Kopie)" in run.stderr
    assert "Für Familiengrundschulzentren (FGZ) liegen noch keine Standorte vor" in run.stderr
    table = read_german(out)
    assert set(table["Jahr"]) == {2023}
    assert not any(c.startswith("FGZ") for c in table.columns)  # no FGZ stored: no FGZ columns


def test_unknown_year_is_a_german_error_and_exit_code_2(capsys):
    assert main(["analyse", "--year", "1990"]) == 2
    assert "Fehler: Für das Jahr 1990 liegen keine Indikatorwerte vor." in capsys.readouterr().err
