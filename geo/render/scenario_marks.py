"""How an export of a scenario says that it is one: a first column in its tables and a part of its file name.

The words are :func:`geo.analysis.scenarios.scenario_text` ("Szenario „Plan“ – kein Bestand, nur
Planungsvariante"); the provenance (source line, settings record) carries them too
(:func:`geo.render.provenance.source_text`). Exports of the status quo are unchanged.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from geo.analysis.scenarios import scenario_text
from geo.dataset import Dataset

#: Header of the column that marks every row of a scenario's table.
SCENARIO_COLUMN = "Szenario"
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def mark_table(table: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """``table`` with a first column "Szenario" saying in every row that the values are a scenario's.

    Unchanged (the same object) for the status quo (``dataset.scenario == ""``).
    """
    if not dataset.scenario:
        return table
    out = table.copy()
    out.insert(0, SCENARIO_COLUMN, scenario_text(dataset.scenario))
    return out


def slug(name: str, *, limit: int = 40) -> str:
    """An ASCII file-name part of a scenario name: "Plan Süd 2027!" → "plan-sued-2027"."""
    text = unicodedata.normalize("NFKD", str(name).translate(_UMLAUTS)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:limit].strip("-") or "ohne-namen"


def scenario_file_name(file_name: str, dataset: Dataset) -> str:
    """``file_name`` with "_szenario-<slug>" before the suffix for a scenario's export; unchanged for the Bestand."""
    if not dataset.scenario:
        return file_name
    stem, dot, suffix = file_name.rpartition(".")
    if not dot:
        stem, suffix = file_name, ""
    return f"{stem}_szenario-{slug(dataset.scenario)}{dot}{suffix}"
