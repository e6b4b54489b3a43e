"""German text for numbers, head counts and distances, shared by the web map, tables, print maps and reports."""

from __future__ import annotations

import numpy as np

from geo import settings

MINUS = "\u2212"


def format_number(
    value: object, decimals: int = 0, *, unit: str = "", missing: str = "–", signed: bool = False
) -> str:
    """German number text: ``12.345``, ``1,5``, ``74 %``; a true minus sign; strings pass through.

    Parameters
    ----------
    decimals
        Digits after the decimal comma.
    unit
        Appended after a non-breaking space (``"%"``, ``"m"``).
    missing
        Returned for ``None`` and NaN.
    signed
        Prefix ``+`` to positive values (for indices around zero).
    """
    if isinstance(value, str):
        return value
    if value is None or not np.isfinite(float(value)):
        return missing
    number = float(value)
    text = f"{abs(number):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    nonzero = text.strip("0,.") != ""
    if number < 0 and nonzero:
        text = MINUS + text
    elif signed:
        text = "+" + text
    return f"{text}\u00a0{unit}" if unit else text


def format_count(value: object) -> str:
    """A head count; non-zero counts below :data:`settings.MIN_COUNT_SHOWN` become ``< 3`` (data protection)."""
    if value is None or not np.isfinite(float(value)):
        return "–"
    if 0 < float(value) < settings.MIN_COUNT_SHOWN:
        return f"< {settings.MIN_COUNT_SHOWN}"
    return format_number(value)


def format_distance(metres: float) -> str:
    """German distance: ``800 m``, ``1 km``, ``1,5 km``."""
    if not np.isfinite(metres):
        return "–"
    if metres < 1000:
        return f"{metres:.0f} m"
    km = round(metres / 1000, 1)
    return f"{km:.1f} km".replace(".0 km", " km").replace(".", ",")


def grid_name(cell_m: float | None = None) -> str:
    """The fallback grid named by its cell size: ``100-m-Raster``, ``1-km-Raster``, ``2,5-km-Raster``.

    ``None``: :data:`settings.FALLBACK_GRID_M` (read at call time).
    """
    return format_distance(settings.FALLBACK_GRID_M if cell_m is None else cell_m).replace(" ", "-") + "-Raster"
