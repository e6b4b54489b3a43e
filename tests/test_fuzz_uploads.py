"""Fuzzing check_upload: 640 seeded malformed uploads, each a German report in ≤ 10 s, the store untouched.

The cases come from :mod:`tests.fuzz_cases` (same seed, same cases); they run in two worker processes so a hang
fails this test after :data:`tests.fuzz_cases.HANG_S` seconds instead of blocking the suite.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from tests import fuzz_cases

#: Peak memory one worker may reach (imports and the demo data take ~350 MB; the 490 MB dbf once took 1.2 GB).
MAX_WORKER_RSS = 900 * 1024**2
GERMAN = re.compile(r"\b(die|der|das|den|und|ist|sind|wird|werden|nicht|hat|fehlt|Datei|Zeile|Spalte|keine?)\b",
                    re.IGNORECASE)
ENGLISH = re.compile(r"\b(the|is|not|of|error|invalid|failed|unable|Traceback)\b|Error\b")


@pytest.fixture(scope="module")
def run():
    cases = fuzz_cases.all_cases()
    start = time.perf_counter()
    outcomes, hung, peak = fuzz_cases.run_isolated([c.name for c in cases], workers=2)
    return cases, {o.name: o for o in outcomes}, hung, peak, time.perf_counter() - start


def test_the_cases_are_many_varied_and_reproducible(run):
    cases = run[0]
    assert len(cases) >= 600 and len({c.name for c in cases}) == len(cases)
    again = fuzz_cases.all_cases()
    assert [c.name for c in again] == [c.name for c in cases]
    # Workbooks carry openpyxl's save time in docProps/core.xml: compare the other files byte for byte.
    pairs = [(a, b) for a, b in zip(again[::7], cases[::7], strict=True) if not a.filename.endswith(".xlsx")]
    assert len(pairs) > 50 and all(a.make() == b.make() for a, b in pairs)
    suffixes = Counter(c.filename.rsplit(".", 1)[-1] for c in cases)
    assert {"csv", "xlsx", "geojson", "gpkg", "zip"} <= set(suffixes)


def test_no_case_hangs_crashes_or_touches_the_store(run):
    cases, outcomes, hung, _, _ = run
    assert hung == []
    assert set(outcomes) == {c.name for c in cases}
    crashed = {n: o.crashes[0][-600:] for n, o in outcomes.items() if o.crashes}
    assert crashed == {}
    assert [n for n, o in outcomes.items() if o.incidents] == []  # a specific message, never "Fehler-Nr."
    assert [n for n, o in outcomes.items() if not o.store_unchanged] == []
    slow = {n: round(o.seconds, 1) for n, o in outcomes.items() if o.seconds > fuzz_cases.CASE_LIMIT_S}
    assert slow == {}


def test_every_refusal_is_a_german_sentence(run):
    _, outcomes, _, _, _ = run
    results = Counter(r for o in outcomes.values() for r in o.results.values())
    assert results["refused"] > 300 and results["ok"] > 10  # mostly refused, some mutations stay valid
    for name, outcome in outcomes.items():
        for message in outcome.messages:
            assert message and "Traceback" not in message and "/work/" not in message, (name, message)
            assert GERMAN.search(message) and not ENGLISH.search(message), (name, message)


def test_the_run_is_bounded_in_memory(run):
    *_, peak, seconds = run
    # The run's duration (about 60 s here) is a figure, not an assert: wall time depends on the machine's load.
    print(f"fuzz run: {len(run[0])} cases in {seconds:.0f} s, worker peak {peak / 1024**2:.0f} MB")
    assert 0 < peak < MAX_WORKER_RSS
