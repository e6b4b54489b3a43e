"""Residents files as cities and Destatis publish them, generated: the Zensus 2022 grid CSV over the demo city."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo import settings

#: The published column layout of the Zensus 2022 population grid ("Bevoelkerungszahl", 100 m).
POPULATION_HEADER = "GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner"
#: The published layout of "Alter in 5 Altersklassen" on the same grid.
AGE5_HEADER = ("GITTER_ID_100m;x_mp_100m;y_mp_100m;Insgesamt_Bevoelkerung;Unter18;a18bis29;a30bis49;a50bis64;"
               "a65undaelter")
#: The published layout of "Alter in 10er-Jahresgruppen" (no under-18 column).
AGE10_HEADER = ("GITTER_ID_100m;x_mp_100m;y_mp_100m;Insgesamt_Bevoelkerung;Unter10;a10bis19;a20bis29;a30bis39;"
                "a40bis49;a50bis59;a60bis69;a70bis79;a80undaelter")
#: Suppressed values as Destatis writes them: an en dash (byte 0x96 in cp1252).
SUPPRESSED = "–"


def demo_cells(residents: pd.DataFrame) -> pd.DataFrame:
    """The demo's residential blocks summed into the Zensus 100 m cells they fall in (EPSG:3035).

    Columns: ``east``, ``north`` (the cell's lower-left corner), ``x``, ``y`` (its centre), ``inhabitants``,
    ``children``, sorted by north, then east, as Destatis sorts its files.
    """
    to_laea = Transformer.from_crs(settings.METRIC_CRS, "EPSG:3035", always_xy=True)
    x, y = to_laea.transform(residents.geometry.x.to_numpy(), residents.geometry.y.to_numpy())
    cells = pd.DataFrame({
        "east": (np.floor(x / 100) * 100).astype(np.int64),
        "north": (np.floor(y / 100) * 100).astype(np.int64),
        "inhabitants": residents[settings.INHABITANTS].to_numpy(),
        "children": residents[settings.CHILDREN].to_numpy(),
    }).groupby(["north", "east"], as_index=False).sum()
    cells["x"], cells["y"] = cells["east"] + 50, cells["north"] + 50
    return cells


def cell_id(east: int, north: int) -> str:
    """The Zensus cell id of the 100 m cell with this lower-left corner."""
    return f"CRS3035RES100mN{north}E{east}"


def population_csv(cells: pd.DataFrame, *, suppressed: set[int] = frozenset(), encoding: str = "cp1252") -> bytes:
    """The population grid as published: ``;``, CRLF, cp1252, ``–`` in the cells at positions ``suppressed``."""
    lines = [POPULATION_HEADER]
    for i, c in enumerate(cells.itertuples(index=False)):
        value = SUPPRESSED if i in suppressed else str(c.inhabitants)
        lines.append(f"{cell_id(c.east, c.north)};{c.x};{c.y};{value}")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def age5_csv(cells: pd.DataFrame) -> bytes:
    """"Alter in 5 Altersklassen": the children in ``Unter18``, the adults spread over the other four bands."""
    lines = [AGE5_HEADER]
    for c in cells.itertuples(index=False):
        adults = c.inhabitants - c.children
        bands = [adults // 4] * 3 + [adults - 3 * (adults // 4)]
        lines.append(f"{cell_id(c.east, c.north)};{c.x};{c.y};{c.inhabitants};{c.children};"
                     + ";".join(map(str, bands)))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
