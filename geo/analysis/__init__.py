"""Pure analysis functions: need, access, gaps, classification, data protection, the whole run."""

from geo.analysis.population import Population
from geo.analysis.run import (
    RESIDENTS_FROM_GRID,
    RESIDENTS_FROM_LAYER,
    Params,
    Result,
    analyse,
    column,
    residents_from_grid,
)

__all__ = [
    "RESIDENTS_FROM_GRID", "RESIDENTS_FROM_LAYER", "Params", "Population", "Result", "analyse", "column",
    "residents_from_grid",
]
