"""The chain map on the web map: per district the number of missing links of the Präventionskette (0 … n).

A variable of :mod:`geo.render.web.map_data` (:data:`VARIABLE`) with classes of its own – one per whole number of
missing links, lightest for none – instead of a classification scheme.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from geo.analysis import Result
from geo.analysis.chain import Chain, chain_matrix, most_missing_text
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.render.chain_tables import missing_colors, missing_label
from geo.render.web.symbols import esc

#: Map variable key of the chain map.
VARIABLE: Final[str] = "chain_missing"
#: Its name in the variable choice and the legend title.
LABEL: Final[str] = "Präventionskette: fehlende Glieder"
#: Legend text of the districts where no link could be judged (no target group known, or protected).
NO_CLASS_TEXT: Final[str] = "ohne Angabe (keine Zielgruppe bekannt oder Datenschutz)"


def chain_of(result: Result, dataset: Dataset) -> Chain:
    """The chain of ``result`` with the data set's offer types and life phases."""
    return chain_matrix(result, dataset.offer_types, dataset.phases)


def available(result: Result, dataset: Dataset) -> bool:
    """True when at least one life phase has an analysed offer type (otherwise there is no chain to map)."""
    return bool(chain_of(result, dataset).measured)


def classes(chain: Chain) -> tuple[np.ndarray, list[str], list[str]]:
    """Class per district (= its number of missing links; -1 where every link is "?" or "•"), labels, colours."""
    d = chain.districts
    n = len(chain.measured)
    missing = d["missing"].to_numpy(dtype=int)
    judged = d["unknown"].to_numpy(dtype=int) < n
    return np.where(judged, missing, -1), [missing_label(k) for k in range(n + 1)], missing_colors(n)


def subtitle(chain: Chain) -> str:
    """Legend subtitle: what is counted, with the phases measured."""
    share = format_number(100 * chain.max_share_in_reach, 0, unit="%")
    phases = ", ".join(str(chain.phases.at[p, "short"]) for p in chain.measured)
    return (f"Lebensphasen ({phases}), deren Angebote weniger als {share} der Zielgruppe erreichen · dunkler = mehr "
            "fehlende Glieder")


def note(chain: Chain) -> str:
    """Legend note: the phase missing most often (the phases not measured are named beside the map)."""
    return most_missing_text(chain)


def tip_line(chain: Chain, position: int) -> str:
    """Tooltip line of one district: its chain row text ("Geburt ✔ · frühe Kindheit ✘ …"), HTML-escaped."""
    text = str(chain.districts["row_text"].iloc[position])
    return f"<div class='pa-muted'>Kette: {esc(text)}</div>" if text else ""
