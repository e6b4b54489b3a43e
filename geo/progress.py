"""Progress of long work: named steps and a fraction done, reported to a page, a terminal or nobody.

Long functions (the analysis, an upload check, the committee report, an optimisation) take a keyword-only
``progress`` callable and call it as they go: ``progress(fraction, text)`` with ``fraction`` between 0 and 1 and a
short German step text written by the code ("Reichweite: Familienbüro"). The caller decides what it shows:
``app_pages`` draw ``st.status``/``st.progress``, the CLI prints lines on a terminal, tests collect the calls, and
everything else passes nothing (:func:`silent`). A step text may name user data (an offer type's name): whoever
shows it escapes it as any user text.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO

#: ``progress(fraction, text)``: ``fraction`` of the whole work done (0 … 1), ``text`` the step now running.
Progress = Callable[[float, str], None]


def silent(fraction: float, text: str) -> None:
    """The progress of work nobody watches: does nothing."""


def part(progress: Progress, start: float, end: float) -> Progress:
    """``progress`` for a piece of the work that runs from ``start`` to ``end`` of the whole.

    A function that calls another long function hands it ``part(progress, 0.2, 0.8)``; the callee reports its own
    0 … 1 and the caller's bar moves from 20 % to 80 %.
    """
    if progress is silent:
        return silent
    span = end - start

    def report(fraction: float, text: str) -> None:
        progress(start + span * min(max(fraction, 0.0), 1.0), text)

    return report


def labelled(progress: Progress, label: str) -> Progress:
    """``progress`` with ``label`` before every step text, e.g. the side of a comparison: "2023: Lücken"."""
    if progress is silent:
        return silent
    return lambda fraction, text: progress(fraction, f"{label}: {text}")


def steps(progress: Progress, texts: Sequence[str]) -> Iterable[tuple[int, str]]:
    """Walk through ``texts`` as equal steps, reporting each one as it starts and the end as it finishes.

    ``for i, text in steps(progress, ["Einlesen", "Prüfen"]): ...`` reports (0, "Einlesen"), (0.5, "Prüfen") and
    finally (1, last text).
    """
    count = len(texts)
    for i, text in enumerate(texts):
        progress(i / count, text)
        yield i, text
    if count:
        progress(1.0, texts[-1])


def terminal(stream: TextIO | None = None, *, force: bool = False) -> Progress:
    """Progress printed as one line per new step (``[ 40 %] Reichweite: FGZ``) on a terminal, else silent.

    The CLI's output stays clean when piped or redirected: unless ``force``, nothing is printed when ``stream``
    (default: standard error) is not a terminal.
    """
    out = stream if stream is not None else sys.stderr
    if not force and not (hasattr(out, "isatty") and out.isatty()):
        return silent
    last: list[str] = []

    def report(fraction: float, text: str) -> None:
        if last and last[0] == text and fraction < 1.0:
            return
        line = f"[{round(100 * min(max(fraction, 0.0), 1.0)):>3} %] {text}"
        last[:] = [text]
        print(line, file=out, flush=True)

    return report
