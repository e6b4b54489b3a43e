"""Settings are read when the code runs: a changed threshold takes effect without re-importing anything."""

from __future__ import annotations

import numpy as np

from geo import settings
from geo.analysis import Params, analyse, protect
from geo.demo import load_demo


def test_a_patched_threshold_takes_effect_at_call_time(monkeypatch):
    four = np.array([4.0]), np.array([0.0])  # four children in a district, none without reach
    assert protect.reach_codes(*four).children[0] == ""  # default threshold 3: the count may be shown
    monkeypatch.setattr(settings, "MIN_COUNT_SHOWN", 5)
    monkeypatch.setattr(settings, "MIN_INHABITANTS_FOR_CLASS", 1234)
    monkeypatch.setattr(settings, "GAP_MAX_SHARE_IN_REACH", 0.9)
    assert protect.reach_codes(*four).children[0] == protect.SMALL
    assert "unter 1234 Einwohnern" in protect.rule_text()
    params = Params()
    assert (params.min_inhabitants, params.max_share_in_reach) == (1234, 0.9)
    result = analyse(load_demo())
    assert (result.min_inhabitants, result.max_share_in_reach) == (1234, 0.9)
