"""Pure analysis functions: need, access, gaps, classification, data protection, the whole run."""

from geo.analysis.run import RESIDENTS_FROM_GRID, RESIDENTS_FROM_LAYER, Params, Result, analyse, column

__all__ = ["RESIDENTS_FROM_GRID", "RESIDENTS_FROM_LAYER", "Params", "Result", "analyse", "column"]
