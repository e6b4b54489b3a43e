"""Long work reports its steps (analysis, upload check, report, site solver); the CLI and the pages show them."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from geo import demo
from geo.analysis import analyse
from geo.ingest import check_upload
from geo.ingest.templates import template_bytes, upload_template
from geo.render.print.report import render_report

REPO = Path(__file__).resolve().parents[1]
HOSTILE = "<img src=x onerror=alert(1)> $x$ **b**"


@pytest.fixture(scope="module")
def dataset():
    return demo.load_demo()


def _collect():
    calls: list[tuple[float, str]] = []
    return calls, lambda fraction, text: calls.append((fraction, text))


def _assert_runs_from_0_to_1(calls):
    fractions = [f for f, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(a <= b for a, b in zip(fractions, fractions[1:], strict=False)), fractions


def test_the_analysis_names_its_steps_and_every_analysed_offer_type(dataset):
    calls, report = _collect()
    result = analyse(dataset, progress=report)
    _assert_runs_from_0_to_1(calls)
    texts = [t for _, t in calls]
    assert texts[0] == "Bedarf" and texts[-1] == "Lücken"
    expected = [f"Reichweite: {dataset.type_labels(t).plural}" for t in result.offer_types]
    assert [t for t in texts if t.startswith("Reichweite: ")] == expected and len(expected) >= 3
    # the progress changes nothing: the same result as without it
    assert analyse(dataset).districts.drop(columns="geometry").equals(result.districts.drop(columns="geometry"))


def test_the_upload_check_reports_reading_checking_and_comparing(dataset):
    calls, report = _collect()
    data = template_bytes(upload_template("offers", dataset), "csv")
    check = check_upload(data, "angebote.csv", kind="offers", context=dataset, progress=report)
    assert check.report.ok, check.report.problems
    _assert_runs_from_0_to_1(calls)
    assert [t for _, t in calls] == ["Datei lesen", "Spalten erkennen, Werte und Lage prüfen",
                                     "Vergleich mit dem Bestand", "Vergleich mit dem Bestand"]


def test_an_upload_check_that_fails_early_still_starts_at_0(dataset):
    calls, report = _collect()
    check = check_upload(b"\x00\x01kaputt", "angebote.csv", kind="offers", context=dataset, progress=report)
    assert not check.ok
    assert calls[0] == (0.0, "Datei lesen")


def test_the_report_names_each_page_as_it_draws_it(dataset):
    result = analyse(dataset)
    calls, report = _collect()
    pdf = render_report(dataset, result, progress=report)
    _assert_runs_from_0_to_1(calls)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    steps = [t for _, t in calls if t.startswith("Seite ")]
    assert len(set(steps)) == pages
    assert steps[0].startswith(f"Seite 1 von {pages}: ") and steps[-1].startswith(f"Seite {pages} von {pages}: ")
    assert any(t.endswith(f"Reichweite: {dataset.type_labels('fgz').plural}") for t in steps)


def test_the_site_solver_reports_model_reduction_and_solver(dataset):
    from geo.analysis.candidates import candidate_sites
    from geo.analysis.site_problem import build_problem
    from geo.analysis.sites import solve_max_cover, solve_min_sites

    candidates, _ = candidate_sites(dataset, "fgz", hosts=True)
    problem = build_problem(dataset, "fgz", candidates)
    for solve in (lambda p: solve_max_cover(problem, 2, progress=p), lambda p: solve_min_sites(problem, 0.9,
                                                                                               progress=p)):
        calls, report = _collect()
        solve(report)
        _assert_runs_from_0_to_1(calls)
        texts = [t for _, t in calls]
        assert "Modell verkleinern" in texts and any(t.startswith("Optimierung (HiGHS)") for t in texts)


# --- the command line -------------------------------------------------------------------------------------------

def _on_a_terminal(*args: str) -> tuple[subprocess.CompletedProcess, str]:
    """``python -m geo <args>`` with standard error on a pseudo-terminal: the run and what the terminal showed."""
    leader, follower = pty.openpty()
    try:
        run = subprocess.run([sys.executable, "-m", "geo", *args], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=follower, env={**os.environ}, timeout=120, check=False)
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    return run, seen.decode("utf-8", "replace")


def test_the_cli_prints_progress_on_a_terminal(tmp_path, data_root):
    run, err = _on_a_terminal("analyse", "--out", str(tmp_path / "e.csv"))
    assert run.returncode == 0
    assert "[  0 %] Bedarf" in err and "[100 %] Lücken" in err
    assert "Reichweite: Familiengrundschulzentren" in err
    assert b"%]" not in run.stdout


def test_the_change_command_shows_both_years_as_one_bar(data_root):
    """``change`` runs two analyses: the first fills the bar to 50 %, the second to 100 %, each step named by side."""
    run, err = _on_a_terminal("change", "--years", "2023", "2024")
    assert run.returncode == 0, err
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert lines[0] == "[  0 %] 2023: Bedarf"
    assert lines[-1] == "[100 %] 2024: Lücken"
    first = lines.index("[ 50 %] 2024: Bedarf")
    assert lines[first - 1].endswith("2023: Lücken")
    assert all(" 2023: " in line for line in lines[:first]) and all(" 2024: " in line for line in lines[first:])
    percents = [int(line[1:4]) for line in lines]
    assert percents == sorted(percents) and max(percents[:first]) < 50
    assert b"%]" not in run.stdout and "Entwicklung 2023" in run.stdout.decode()


def test_the_cli_prints_no_progress_when_piped(tmp_path, capsys):
    from geo.cli import main

    assert main(["analyse", "--out", str(tmp_path / "e.csv")]) == 0
    out, err = capsys.readouterr()
    assert "%]" not in out + err and "Reichweite:" not in out + err


# --- the pages --------------------------------------------------------------------------------------------------

def _status_script():
    from app_pages import _shared as ui

    with ui.progress_status("Bericht wird erstellt", done="Bericht fertig") as report:
        report(0.2, "Seite 2 von 3: Reichweite: <img src=x onerror=alert(1)> $x$ **b**")


def _failing_script():
    from app_pages import _shared as ui
    from geo import DataError

    with ui.progress_status("Datei wird geprüft") as report:
        report(0.1, "Datei lesen")
        raise DataError("Die Datei <b>x</b> ist leer.")


def test_a_step_text_with_an_offer_types_hostile_name_is_shown_escaped():
    from streamlit.testing.v1 import AppTest

    from app_pages import _shared as ui

    at = AppTest.from_function(_status_script).run(timeout=30)
    assert not at.exception, at.exception
    [status] = at.status
    assert status.label == "Bericht fertig" and status.state == "complete"
    [bar] = at.get("progress")
    assert bar.value == 20
    assert bar.text == ui.md(f"Seite 2 von 3: Reichweite: {HOSTILE}")
    assert "\\<img" in bar.text and "\\$x\\$" in bar.text and "\\*\\*b\\*\\*" in bar.text


def test_a_data_error_turns_the_status_red_with_the_german_message_not_a_traceback():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_failing_script).run(timeout=30)
    assert not at.exception, at.exception
    [status] = at.status
    assert status.state == "error" and status.label == "Datei wird geprüft: nicht möglich"
    assert [e.value for e in at.error] == ["Die Datei \\<b\\>x\\</b\\> ist leer\\."]


def test_the_export_page_builds_the_report_with_a_status_that_ends_complete():
    from tests.apptest import open_page

    at = open_page("app_pages/5_Export.py", timeout=120)
    assert not at.exception, at.exception
    assert not at.status  # the analysis' box goes away when it is done
    assert "Bericht herunterladen (PDF, A4)" not in [b.label for b in at.get("download_button")]
    at.button(key="export_report_build").click().run(timeout=180)
    assert not at.exception, at.exception
    [status] = at.status
    assert status.label == "Bericht fertig" and status.state == "complete"
    [bar] = at.get("progress")
    assert bar.value == 100 and bar.text.startswith("Seite ")
    assert "Bericht herunterladen (PDF, A4)" in [b.label for b in at.get("download_button")]


def _interrupted_script():
    import streamlit as st

    from app_pages import _shared as ui

    with ui.progress_status("Analyse wird berechnet") as report:
        report(0.5, "Reichweite: FGZ")
        st.stop()  # the run ends here: the page shows the box as the work left it


def test_the_status_stays_running_while_the_work_runs():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_interrupted_script).run(timeout=30)
    assert not at.exception, at.exception
    [status] = at.status
    assert status.state == "running" and status.label == "Analyse wird berechnet"
    assert [(b.value, b.text) for b in at.get("progress")] == [(50, "Reichweite: FGZ")]
