"""The web map's primary schools, drawn by Schulsozialindex: markers, tooltips and the legend block as JSON data."""

from __future__ import annotations

from typing import Final

import numpy as np

from geo import crs, settings
from geo.analysis.schools import SCHOOL_TYPE, primary_schools
from geo.dataset import Dataset
from geo.render import palette
from geo.render.web import payload
from geo.render.web.symbols import esc, marker_svg
from geo.render.web.tips import school_tips

#: Pixel size of a school marker (a little smaller than an offer symbol: the FGZ on top stays visible).
SIZE: Final[int] = 16
#: Size of the scale's swatches in the legend.
SWATCH: Final[int] = 13
#: Text of a school the list gives no index.
NO_INDEX: Final[str] = "ohne Index"


def school_layer(dataset: Dataset, *, school_type: str = SCHOOL_TYPE) -> dict:
    """The schools of ``school_type`` for the atlas script: every user text HTML-escaped.

    Returns
    -------
    dict
        ``rows`` (``[lat, lon, icon, tip]`` per school, :func:`~geo.render.web.payload.encode_points`; ``icon``
        0 = without index, 1–9 = the level),
        ``icons`` (inline SVG per icon number, the type's marker shape in the level's colour of
        :data:`geo.render.palette.SOZIALINDEX_COLORS`), ``label`` and ``icon`` of the layer switch, ``legend``
        (HTML block) and ``count``.
    """
    schools = primary_schools(dataset, school_type=school_type)
    schools = schools[schools.geometry.notna() & ~schools.geometry.is_empty]
    table = dataset.offer_types
    shape = palette.marker_of(table.at[school_type, "marker"]) if school_type in table.index else "circle"
    levels = schools[settings.SOZIALINDEX].to_numpy(dtype=float)
    icon_of = np.where(np.isfinite(levels) & np.isin(levels, list(palette.SOZIALINDEX_COLORS)),
                       np.nan_to_num(levels), 0).astype(int)
    icons = [marker_svg(shape, palette.NO_INDEX_COLOR, SIZE)]
    icons += [marker_svg(shape, palette.SOZIALINDEX_COLORS[level], SIZE) for level in range(1, 10)]
    if len(schools):
        wgs = crs.to_map(schools, name="Grundschulen").geometry
        latlon = np.round(np.column_stack([wgs.y.to_numpy(), wgs.x.to_numpy()]), 6)
    else:
        latlon = np.empty((0, 2))
    kind = dataset.type_labels(school_type)
    rows = payload.encode_points(latlon, [icon_of.tolist()], school_tips(schools, kind.label, no_index=NO_INDEX))
    return {
        "rows": rows,
        "icons": icons,
        "label": esc(f"{kind.plural} (Schulsozialindex)"),
        "icon": marker_svg(shape, palette.SOZIALINDEX_COLORS[7], 18),
        "legend": _legend(kind.plural, shape, icon_of),
        "count": len(schools),
    }


def _legend(plural: str, shape: str, icon_of: np.ndarray) -> str:
    """The legend block: the nine levels as one scale (with counts in its tooltip), then the schools without."""
    counts = np.bincount(icon_of, minlength=10)
    scale = "".join(
        f"<span class='pa-si' title='{esc(f'Sozialindex {level}: {counts[level]} Schulen')}'>"
        f"{marker_svg(shape, palette.SOZIALINDEX_COLORS[level], SWATCH)}</span>"
        for level in range(1, 10)
    )
    with_index = int(counts[1:].sum())
    rows = [
        f"<div class='pa-lt'>{esc(plural)} nach Schulsozialindex</div>",
        f"<div class='pa-ls'>{esc(f'Schulsozialindex {palette.sozialindex_label(1)} … {palette.sozialindex_label(9)}')}"
        "</div>",
        f"<div class='pa-lr pa-si-scale'>{scale}<span class='pa-n'>({with_index})</span></div>",
    ]
    high = int(counts[settings.SOZIALINDEX_HIGH:].sum())
    rows.append(f"<div class='pa-ls'>{esc(f'davon Sozialindex ≥ {settings.SOZIALINDEX_HIGH}: {high}')}</div>")
    if counts[0]:
        rows.append(f"<div class='pa-lr'><span class='pa-sym'>{marker_svg(shape, palette.NO_INDEX_COLOR, SWATCH)}"
                    f"</span><span>{esc(NO_INDEX)} <span class='pa-n'>({int(counts[0])})</span></span></div>")
    return "".join(rows)
