"""geo.progress: steps, parts of the whole and the CLI's terminal lines."""

from __future__ import annotations

import io

import pytest

from geo import progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _collect():
    calls: list[tuple[float, str]] = []
    return calls, lambda fraction, text: calls.append((round(fraction, 6), text))


def test_steps_report_each_start_and_the_end():
    calls, report = _collect()
    assert [i for i, _ in progress.steps(report, ["Einlesen", "Prüfen", "Vorschau"])] == [0, 1, 2]
    assert calls == [(0.0, "Einlesen"), (0.333333, "Prüfen"), (0.666667, "Vorschau"), (1.0, "Vorschau")]


def test_part_maps_a_callee_into_its_share_of_the_whole_and_clamps():
    calls, report = _collect()
    inner = progress.part(report, 0.2, 0.6)
    inner(0.0, "a")
    inner(0.5, "b")
    inner(1.0, "c")
    inner(1.7, "d")
    assert calls == [(0.2, "a"), (0.4, "b"), (0.6, "c"), (0.6, "d")]
    assert progress.part(progress.silent, 0.0, 0.5) is progress.silent


def test_labelled_names_the_side_before_each_step():
    calls, report = _collect()
    progress.labelled(progress.part(report, 0.5, 1.0), "2024")(0.5, "Lücken")
    assert calls == [(0.75, "2024: Lücken")]
    assert progress.labelled(progress.silent, "2024") is progress.silent


def test_terminal_prints_one_line_per_step_on_a_tty():
    out = _Tty()
    report = progress.terminal(out)
    report(0.0, "Bedarf")
    report(0.1, "Bedarf")  # same step: no new line
    report(0.5, "Reichweite: FGZ")
    report(1.0, "Reichweite: FGZ")  # the end is always printed
    assert out.getvalue().splitlines() == ["[  0 %] Bedarf", "[ 50 %] Reichweite: FGZ",
                                           "[100 %] Reichweite: FGZ"]


@pytest.mark.parametrize("force", [False, True])
def test_terminal_is_silent_when_piped_unless_forced(force):
    out = io.StringIO()
    report = progress.terminal(out, force=force)
    report(0.25, "Bericht")
    assert out.getvalue() == ("[ 25 %] Bericht\n" if force else "")
    assert (report is progress.silent) is not force
