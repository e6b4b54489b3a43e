"""District tooltips of the web map, built column-wise once per map and sent as shared parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result, column
from geo.analysis.population import shown_counts
from geo.formatting import format_number
from geo.render import reach_words
from geo.render.web.symbols import esc

#: A part of every tooltip: one text for all districts, or one text per district.
Part = str | np.ndarray


@dataclass(frozen=True)
class Tips:
    """The tooltip HTML of ``n`` districts as a sequence of parts; tooltip ``i`` joins part ``i`` of each.

    A part is a constant string or an object array of ``n`` strings. :meth:`payload` sends each text once:
    constants as they are, a column with repeats as its distinct texts and one index per district.
    """

    n: int
    parts: tuple[Part, ...]

    def html(self) -> list[str]:
        """The tooltip of every district, in order."""
        out = np.full(self.n, "", dtype=object)
        for part in self.parts:
            out = out + part
        return [str(t) for t in out]

    def __add__(self, other: Tips) -> Tips:
        if other.n != self.n:
            raise ValueError("Tooltips of different districts cannot be joined.")
        return Tips(self.n, self.parts + other.parts)

    def payload(self) -> list:
        """JSON-ready parts (read by ``static/atlas/atlas.js``, ``tipOf``; :func:`tips_of` reads them back).

        Each entry is a string (the same for every district), ``[texts]`` (one per district) or
        ``[distinct texts, index per district]``; neighbouring constants are merged.
        """
        out: list = []
        for part in self.parts:
            if not isinstance(part, str):
                codes, uniques = pd.factorize(np.asarray(part, dtype=object))
                if len(uniques) == 1:
                    part = str(uniques[0])
                elif 2 * len(uniques) > self.n:
                    out.append([[str(t) for t in part]])
                    continue
                else:
                    out.append([[str(t) for t in uniques], codes.tolist()])
                    continue
            if part == "":
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
            else:
                out.append(part)
        return out


def tips_of(parts: list, n: int) -> list[str]:
    """The tooltips of :meth:`Tips.payload` again (what the map script shows), for tests and checks."""
    out = []
    for i in range(n):
        out.append("".join(p if isinstance(p, str) else p[0][i] if len(p) == 1 else p[0][p[1][i]] for p in parts))
    return out


def constant(n: int, text: str) -> Tips:
    """The same text for ``n`` districts."""
    return Tips(n, (text,))


def per_district(texts: Sequence[str]) -> Tips:
    """One given text per district (e.g. the lines of a change layer)."""
    return Tips(len(texts), (np.asarray(list(texts), dtype=object),))


def _formatted(func: Callable[[float], str], values: np.ndarray) -> np.ndarray:
    """``func`` of every value, computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.array([func(float(u)) for u in uniques] or [""], dtype=object)[codes]


def _escaped(values: pd.Series) -> np.ndarray:
    return np.array([esc(v) for v in values.tolist()], dtype=object)


@dataclass(frozen=True)
class ExtraRow:
    """A row of the tooltip for the indicator the map shows (its label, unit and decimals)."""

    key: str
    label: str
    unit: str
    decimals: int


def district_tips(result: Result, codes: pd.DataFrame, names: dict[str, str], extra: ExtraRow | None) -> Tips:
    """The tooltip of every district of ``result``: name, number, counts, status, reach per analysed type.

    ``codes`` is :func:`~geo.analysis.protect.district_codes` of ``result`` (a coded cell shows its code instead of
    the value), ``names`` the short name of each analysed offer type, ``extra`` the shown indicator's row (or
    ``None``). Every user text is HTML-escaped.
    """
    d = result.districts
    n = len(d)
    out: list[Part] = []

    def shown(name: str, text: Callable[[float], str]) -> np.ndarray:
        values = _formatted(text, d[name].to_numpy(dtype=float))
        if name not in codes.columns:
            return values
        code = codes[name].to_numpy(dtype=object)
        coded = np.array([bool(c) for c in code], dtype=bool)
        values[coded] = [esc(c) for c in code[coded]]
        return values

    def row(label: str, values: np.ndarray, present: np.ndarray | None = None) -> None:
        if present is None:
            out.extend([f"<tr><td>{label}</td><td>", values, "</td></tr>"])
            return
        out.extend([np.where(present, f"<tr><td>{label}</td><td>", ""), np.where(present, values, ""),
                    np.where(present, "</td></tr>", "")])

    gaps = {t: d[column("gap", t)].to_numpy().astype(bool) for t in result.offer_types}
    out += ["<b>", _escaped(d[settings.DISTRICT_NAME]), "</b><div class='pa-muted'>Nr. ",
            _escaped(d[settings.DISTRICT_ID])]
    if settings.AREA_NAME in d.columns:
        area = d[settings.AREA_NAME].tolist()
        has = np.array([a is not None and str(a) not in ("", "nan") for a in area], dtype=bool)
        out += [np.where(has, " · Stadtbezirk ", ""), np.where(has, _escaped(d[settings.AREA_NAME]), "")]
    out.append("</div>")
    kinds = [[names[t] for t in result.offer_types if gaps[t][i]] for i in range(n)] if gaps else [[]] * n
    line = np.array([esc(", ".join(k)) for k in kinds], dtype=object)
    has = np.array([bool(k) for k in kinds], dtype=bool)
    out += [np.where(has, "<div class='pa-gap-line'>Versorgungslücke: ", ""), np.where(has, line, ""),
            np.where(has, "</div>", ""), "<table>"]
    row("Einwohner", shown(settings.INHABITANTS, format_number))
    for count in shown_counts(result.population):
        if count.column in d.columns:
            present = np.isfinite(d[count.column].to_numpy(dtype=float))
            row(esc(count.heading), shown(count.column, format_number), present)
    row("Statusindex", shown("status_index", lambda v: format_number(v, 2, signed=True)))
    row("Statusklasse", _escaped(d["status_class"]))
    if extra is not None and extra.key in d.columns:
        unit = f" {esc(extra.unit)}" if extra.unit else ""
        row(esc(extra.label), shown(extra.key, lambda v: format_number(v, extra.decimals) + unit))
    if result.offer_types:
        out.append(f"<tr><th colspan='2'>{esc(reach_words.in_reach_heading(result))}</th></tr>")
    for t in result.offer_types:
        share = shown(column("share_in_reach", t), lambda v: f"{format_number(100 * v)} %" if np.isfinite(v) else "–")
        out += [f"<tr><td>{esc(names[t])} ({esc(reach_words.model_short(result, t))})</td><td>", share,
                np.where(gaps[t], " <span class='pa-gap-flag'>Lücke</span>", ""), "</td></tr>"]
    out.append("</table>")
    return Tips(n, tuple(out))


def _texts(frame: pd.DataFrame, name: str) -> list:
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _address_lines(frame: pd.DataFrame) -> np.ndarray:
    """``<div>address</div>`` per row, empty where there is none."""
    return np.array([f"<div>{esc(a)}</div>" if a is not None and str(a).strip() not in ("", "nan", "None") else ""
                     for a in _texts(frame, settings.OFFER_ADDRESS)], dtype=object)


def offer_tips(offers: pd.DataFrame, labels: Sequence[str]) -> Tips:
    """The tooltip of every offer: name, the type's label (``labels``, one per offer), address and capacity."""
    capacity = pd.to_numeric(pd.Series(_texts(offers, settings.OFFER_CAPACITY), dtype=object), errors="coerce")
    capacities = _formatted(lambda v: f"<div>Kapazität: {format_number(v)}</div>" if np.isfinite(v) else "",
                            capacity.to_numpy(dtype=float))
    return Tips(len(offers), (
        "<b>", np.array([esc(v) for v in _texts(offers, settings.OFFER_NAME)], dtype=object),
        "</b><div class='pa-muted'>", np.array([esc(v) for v in labels], dtype=object), "</div>",
        _address_lines(offers), capacities,
    ))


def school_tips(schools: pd.DataFrame, type_label: str, *, no_index: str) -> Tips:
    """The tooltip of every school: name, type and Schulnummer, address, Sozialindex (``no_index`` without), FGZ."""
    levels = pd.to_numeric(pd.Series(_texts(schools, settings.SOZIALINDEX), dtype=object), errors="coerce")
    fgz = np.array([bool(v) for v in _texts(schools, "has_fgz")], dtype=bool)
    return Tips(len(schools), (
        "<b>", np.array([esc(v) for v in _texts(schools, settings.OFFER_NAME)], dtype=object),
        f"</b><div class='pa-muted'>{esc(type_label)} · Schulnummer ",
        np.array([esc(v) for v in _texts(schools, settings.SCHOOL_ID)], dtype=object), "</div>",
        _address_lines(schools), "<div>Schulsozialindex: ",
        _formatted(lambda v: format_number(v) if np.isfinite(v) else no_index, levels.to_numpy(dtype=float)),
        "</div><div>FGZ: ", np.where(fgz, "ja", "nein"), "</div>",
    ))
