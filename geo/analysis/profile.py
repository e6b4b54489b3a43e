"""The Sozialraumsteckbrief: everything about one district as an ordered list of sections (pure, no rendering).

A :class:`Profile` holds the district's header (id, name, Stadtbezirk, status class and index) and its
sections, each built by one builder of :data:`SECTIONS`. A later section (life-phase chain, change over time)
is one more ``(key, title, builder)`` entry there; the page and the PDF draw sections they do not know with a
generic table. Every cell is German display text with the data protection of :mod:`geo.analysis.protect`
applied exactly as in the tables and the report (counts 1–2 as "< 3", what reveals them as "•").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

import numpy as np
import pandas as pd
import shapely

from geo import crs, settings
from geo._errors import DataError
from geo.analysis import Result, column
from geo.analysis.access import district_positions
from geo.analysis.chain import PROTECTED, STATES, Chain, chain_matrix
from geo.analysis.dynamics import attention_rule_text, dynamic_key
from geo.analysis.history import CITY_NOTE, STATUS_KEY, CityHistory, Series, trend_cell
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.population import COUNT_UNIT, shown_counts
from geo.analysis.protect import HIDDEN, SMALL, district_codes, protect_gaps
from geo.analysis.schools import district_signal, high_index_without_fgz, primary_schools
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number

#: Cell text of a value the data do not give (an empty indicator cell, an official no-data code).
NO_DATA: Final[str] = "keine Angabe"
#: How the city average of an indicator is computed (said under the indicator table).
AVERAGE_NOTE: Final[str] = (
    "Ø Sozialräume = ungewichteter Mittelwert der Sozialräume mit ausgewiesenem Wert (jeder Sozialraum zählt "
    "einmal), derselbe Bezug wie bei der z-Standardisierung des Statusindex."
)
#: Direction of an indicator → what a higher value means (column "Höherer Wert bedeutet").
SENSE: Final[dict[int, str]] = {1: "mehr Bedarf", -1: "weniger Bedarf"}


@dataclass(frozen=True)
class Table:
    """A table of display text: header, rows (all of them; a renderer may shorten the list) and alignment."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    aligns: tuple[str, ...] = ()
    caption: str = ""
    #: Shown instead of the table when it has no rows.
    empty: str = ""
    #: A renderer short of room may shorten this list ("… und N weitere"); False keeps every row.
    shorten: bool = False

    def __post_init__(self) -> None:
        """Default alignment: the first column left, the others right."""
        if not self.aligns:
            object.__setattr__(self, "aligns", ("left",) + ("right",) * (len(self.columns) - 1))


@dataclass(frozen=True)
class Body:
    """What a section builder returns: its tables and a note (``kind`` "facts" = label/value pairs)."""

    tables: tuple[Table, ...]
    note: str = ""
    kind: str = "table"


@dataclass(frozen=True)
class Section:
    """One section of a profile: ``key`` and ``title`` from :data:`SECTIONS`, the builder's body."""

    key: str
    title: str
    kind: str
    tables: tuple[Table, ...]
    note: str = ""


@dataclass(frozen=True)
class Profile:
    """The Sozialraumsteckbrief of one district.

    Attributes
    ----------
    district_id, name
        Sozialraum-Nr. (as stored, text) and Sozialraumname.
    area
        Name of the Stadtbezirk the district belongs to ("" when the data have none).
    status_class
        MSS status class ("Status niedrig", …, "nicht klassifiziert").
    status_index
        The status index as German text (signed, two decimals), "•" where protected, "–" where none.
    in_need
        True for a Sozialraum mit hohem Bedarf.
    year, city
        Indicator year and municipality.
    sections
        In the order of :data:`SECTIONS`.
    """

    district_id: str
    name: str
    area: str
    status_class: str
    status_index: str
    in_need: bool
    year: int
    city: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, key: str) -> Section:
        """The section ``key`` (KeyError when the profile has none)."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


def _shown(value: object, code: str = "", decimals: int = 0, unit: str = "", *, signed: bool = False) -> str:
    """A protected number as text: the code where there is one, "keine Angabe" for NaN."""
    if code:
        return code
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return NO_DATA
    return format_number(float(value), decimals, unit=unit, signed=signed)


class Common:
    """What every district's sections need, computed once per data set and result (see :func:`profiles`)."""

    def __init__(self, dataset: Dataset, result: Result):
        self.dataset, self.result = dataset, result
        self.districts = result.districts.reset_index(drop=True)
        self.ids = self.districts[settings.DISTRICT_ID].astype(str).str.strip().tolist()
        self.table = pd.DataFrame(self.districts.drop(columns="geometry"))
        self.codes = district_codes(result).reset_index(drop=True)
        self.gaps = protect_gaps(result.gaps)
        self.gap_ids = self.gaps[settings.DISTRICT_ID].astype(str).str.strip().to_numpy() if len(self.gaps) else None
        self._shown: dict[str, np.ndarray] = {}
        self._short: dict[str, str] = {}

    @cached_property
    def chain(self) -> Chain:
        """The Präventionskette of every district (:func:`geo.analysis.chain.chain_matrix`), computed once."""
        return chain_matrix(self.result, self.dataset.offer_types, self.dataset.phases)

    @cached_property
    def history(self) -> CityHistory:
        """Every stored year of every district, protected (:class:`geo.analysis.history.CityHistory`), once."""
        return CityHistory(self.dataset, self.result)

    @cached_property
    def offers(self) -> pd.DataFrame:
        """The offers in the metric CRS with ``position``: row of the district they lie in (-1 outside)."""
        offers = crs.to_metric(self.dataset.offers, name="Angebote").reset_index(drop=True)
        located = district_positions(offers, self.districts) if len(offers) else np.empty(0, dtype=np.int64)
        return offers.assign(position=located)

    @cached_property
    def offer_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The offers' types, names (text), district positions and coordinates as plain arrays."""
        o = self.offers
        return (o[settings.OFFER_TYPE].astype(str).to_numpy(dtype=object),
                o[settings.OFFER_NAME].astype(str).to_numpy(dtype=object), o["position"].to_numpy(),
                shapely.get_coordinates(o.geometry.to_numpy()) if len(o) else np.empty((0, 2)))

    @cached_property
    def addresses(self) -> list[str]:
        """The offers' addresses as text ("" where there is none)."""
        if settings.OFFER_ADDRESS not in self.offers:
            return [""] * len(self.offers)
        return [str(a).strip() if pd.notna(a) else "" for a in self.offers[settings.OFFER_ADDRESS]]

    @cached_property
    def ranks(self) -> tuple[np.ndarray, int]:
        """Rank of each district's status index among the classified ones (1 = most need; 0 = none), and their count."""
        index = pd.to_numeric(self.table["status_index"], errors="coerce").to_numpy(dtype=float)
        classified = self.table["classified"].to_numpy(dtype=bool) & np.isfinite(index)
        ranks = np.array([int((index[classified] > v).sum()) + 1 if c else 0 for v, c in zip(index, classified,
                                                                                              strict=True)])
        return ranks, int(classified.sum())

    @cached_property
    def types(self) -> list[str]:
        """Offer types with at least one offer: the analysed ones first, then the others, in config order."""
        present = set(self.offers[settings.OFFER_TYPE].astype(str))
        order = list(self.result.offer_types) + [t for t in self.dataset.offer_types.index
                                                 if t not in self.result.offer_types]
        order += sorted(present - set(order))
        return [t for t in order if t in present]

    @cached_property
    def centres(self) -> tuple[np.ndarray, list[str]]:
        """Per district the point distances are measured from, and how it was found (German, for the note).

        The residents-weighted centre (mean of the residents layer's points, weighted by the population reach
        is measured for, else by inhabitants) where the district's count is shown; the area centre otherwise –
        the weighted centre of one or two people would be their home.
        """
        d = self.districts
        geoms = d.geometry.to_numpy()
        centroid = shapely.centroid(geoms)
        inside = shapely.contains(geoms, centroid)
        area_centre = np.where(inside, centroid, shapely.point_on_surface(geoms))
        xy = shapely.get_coordinates(area_centre)
        how = ["Flächenmittelpunkt des Sozialraums"] * len(d)
        layer = self.dataset.residents
        p = self.result.population
        weight_column = next((c for c in (p.column, settings.INHABITANTS)
                              if layer is not None and c in layer and layer[c].notna().any()), None)
        if weight_column is None or self.result.residents_on_grid:
            return xy, how
        residents = crs.to_metric(layer, name="Wohnorte")
        located = district_positions(residents, d)
        weights = np.nan_to_num(residents[weight_column].to_numpy(dtype=float))
        points = shapely.get_coordinates(residents.geometry.to_numpy())
        use = located >= 0
        total = np.bincount(located[use], weights=weights[use], minlength=len(d))
        sx = np.bincount(located[use], weights=(weights * points[:, 0])[use], minlength=len(d))
        sy = np.bincount(located[use], weights=(weights * points[:, 1])[use], minlength=len(d))
        shown = (self.codes[p.column] == "").to_numpy() if p.column in self.codes else np.ones(len(d), bool)
        weighted = (total > 0) & shown
        word = p.dative if weight_column == p.column else "Einwohnerinnen und Einwohnern"
        for i in np.flatnonzero(weighted):
            xy[i] = (sx[i] / total[i], sy[i] / total[i])
            how[i] = f"Schwerpunkt der Wohnorte, gewichtet nach {word}"
        return xy, how

    @cached_property
    def indicator_keys(self) -> list[str]:
        """The indicators of the profile: those of the index, then every other defined one with a value."""
        defs = self.dataset.indicator_definitions
        d = self.districts
        keys = [k for k in self.result.weights if k in d]
        keys += [str(k) for k in defs.index if k not in keys and k in d
                 and k not in (settings.INHABITANTS, settings.CHILDREN) and d[k].notna().any()]
        return keys

    @cached_property
    def school_signal(self) -> pd.DataFrame | None:
        """Per district the Grundschulen's Sozialindex signal and how many high ones run no FGZ (or ``None``).

        :func:`geo.analysis.schools.district_signal` plus ``high_without_fgz``; ``None`` while no Grundschule is
        stored.
        """
        schools = primary_schools(self.dataset)
        if not len(schools):
            return None
        signal = district_signal(schools, self.districts)
        without = high_index_without_fgz(schools)[settings.DISTRICT_ID].value_counts()
        return signal.assign(high_without_fgz=signal[settings.DISTRICT_ID].map(without).fillna(0).astype(int))

    @cached_property
    def _code_arrays(self) -> dict[str, np.ndarray]:
        return {name: self.codes[name].astype(str).to_numpy() for name in self.codes.columns}

    def code(self, position: int, name: str) -> str:
        """The protection code of one cell ("" = may be shown)."""
        codes = self._code_arrays.get(name)
        return str(codes[position]) if codes is not None else ""

    def short(self, offer_type: str) -> str:
        """Short German name of an offer type ("FGZ"), looked up once."""
        if offer_type not in self._short:
            self._short[offer_type] = self.dataset.type_labels(offer_type).short
        return self._short[offer_type]

    def shown_values(self, name: str) -> np.ndarray:
        """A column's values over the districts whose value is shown (no code, finite)."""
        if name not in self._shown:
            values = pd.to_numeric(self.table[name], errors="coerce").to_numpy(dtype=float)
            usable = np.isfinite(values)
            if name in self.codes:
                usable &= (self.codes[name] == "").to_numpy()
            self._shown[name] = values[usable]
        return self._shown[name]


@dataclass(frozen=True)
class Subject:
    """One district and the shared data its sections are built from (the argument of every builder)."""

    common: Common
    position: int

    @property
    def dataset(self) -> Dataset:
        """The data set."""
        return self.common.dataset

    @property
    def result(self) -> Result:
        """The analysis result."""
        return self.common.result

    @cached_property
    def row(self) -> pd.Series:
        """The district's row of :attr:`Result.districts` (without its geometry)."""
        return self.common.table.iloc[self.position]

    @property
    def district_id(self) -> str:
        """Sozialraum-Nr. as stored (text)."""
        return self.common.ids[self.position]

    @property
    def in_need(self) -> bool:
        """A Sozialraum mit hohem Bedarf."""
        return str(self.row["status_class"]) in IN_NEED_CLASSES

    def count(self, name: str) -> str:
        """A protected head count of the district."""
        return _shown(self.row.get(name), self.common.code(self.position, name))


# --- sections ----------------------------------------------------------------------------------------------------

def _status_index_text(s: Subject) -> str:
    value = s.row.get("status_index")
    code = s.common.code(s.position, "status_index")
    if code:
        return code
    if value is None or not np.isfinite(float(value)):
        return "–"
    return format_number(float(value), 2, signed=True)


def _rank_text(s: Subject) -> str:
    """Rank of the district's status index among the classified districts (1 = most need)."""
    ranks, n = s.common.ranks
    if s.common.code(s.position, "status_index") or not ranks[s.position]:
        return "–"
    return f"{ranks[s.position]} von {n}"


def key_figures(s: Subject) -> Body:
    """*Kennzahlen*: inhabitants, the counts reach is measured for, status class and index, offers inside."""
    d, p = s.common.districts, s.result.population
    rows = [("Einwohnerinnen und Einwohner", s.count(settings.INHABITANTS))]
    for count in shown_counts(p):
        if count.column in d and d[count.column].notna().any() and count.column != settings.INHABITANTS:
            rows.append((count.heading, s.count(count.column)))
    if not p.is_children:
        rows.append((f"Reichweite gemessen für: {p.plural}", s.count(p.column)))
    rows += [
        ("Statusklasse", str(s.row["status_class"])),
        ("Statusindex", _status_index_text(s)),
        ("Rang (1 = höchster Bedarf)", _rank_text(s)),
        ("Sozialraum mit hohem Bedarf", "ja" if s.in_need else "nein"),
        ("Angebote im Sozialraum", format_number(int((s.common.offer_arrays[2] == s.position).sum()))),
    ]
    note = ("Statusindex: positiv = mehr Bedarf als im Mittel der Sozialräume; Rang unter den klassifizierten "
            "Sozialräumen. Personenzahlen von 1 bis 2 stehen als „< 3“.")
    return Body((Table(("Kennzahl", "Wert"), tuple(rows)),), note, kind="facts")


def _unit(defs: pd.DataFrame, key: str) -> str:
    return str(defs.at[key, "unit"]).strip() if key in defs.index and "unit" in defs else ""


def _is_small(value: float) -> bool:
    return bool(np.isfinite(value) and 0 < value < settings.MIN_COUNT_SHOWN)


def indicators(s: Subject) -> Body:
    """*Indikatoren*: each indicator's value, the city average, the deviation from it and the z-value.

    An indicator in unit "Anzahl" is a head count: 1–2 is shown as "< 3", and then its deviation and z-value
    (which give it back) as "•"; such small counts stay out of the mean, like suppressed values (rule 6).
    """
    defs = s.dataset.indicator_definitions
    period = _trend_period(s)
    trended = set(s.common.history.keys) if period else set()
    rows = []
    for key in s.common.indicator_keys:
        label = str(defs.at[key, "label"]) if key in defs.index else key
        unit = _unit(defs, key)
        direction = int(defs.at[key, "direction"]) if key in defs.index else 1
        value = float(pd.to_numeric(s.row[key], errors="coerce"))
        code = s.common.code(s.position, key)
        shown = s.common.shown_values(key)
        if unit == COUNT_UNIT:
            shown = shown[~((shown > 0) & (shown < settings.MIN_COUNT_SHOWN))]
            if not code and _is_small(value):
                code = SMALL
        mean = float(shown.mean()) if len(shown) else float("nan")
        hidden = HIDDEN if code else ""
        if key in s.result.weights and f"z_{key}" in s.common.districts:
            z = _shown(float(s.row[f"z_{key}"]), hidden or s.common.code(s.position, f"z_{key}"), 2, signed=True)
        else:
            z = "nicht im Index"
        if not code and not np.isfinite(value):
            z = z if z == "nicht im Index" else NO_DATA
        row = (label, unit or "–", _shown(value, code, 0 if unit == COUNT_UNIT else 1), _shown(mean, "", 1),
               _shown(value - mean, hidden, 1, signed=True), z, SENSE.get(direction, ""))
        if period:  # the change over the Dynamik period ("" for a ready-made change: it has no trend)
            changes, codes = s.common.history.changes(key, *period) if key in trended else (None, None)
            row += (trend_cell(changes[s.position], direction, decimals=0 if unit == COUNT_UNIT else 1,
                               code=codes[s.position]) if key in trended else "",)
        rows.append(row)
    note = (f"{AVERAGE_NOTE} z-Wert (nur Indikatoren im Statusindex): Abstand zum Mittel in Standardabweichungen, "
            "positiv = mehr Bedarf.")
    columns = ("Indikator", "Einheit", "Wert", "Ø Sozialräume", "Abweichung", "z-Wert", "Höherer Wert bedeutet")
    aligns = ("left", "left", "right", "right", "right", "right", "left")
    if period:
        columns, aligns = columns + (f"Trend {period[0]}–{period[1]}",), aligns + ("right",)
        note += (f" Trend: Veränderung {period[0]}–{period[1]} (↑ gestiegen, ↓ gesunken, → unverändert; bei % in "
                 "Prozentpunkten); ob das Lage verbessert oder verschlechtert, sagt „Höherer Wert bedeutet“.")
    table = Table(columns, tuple(rows), aligns, empty="Für diesen Sozialraum liegen keine Indikatoren vor.",
                  shorten=True)
    return Body((table,), note)


def _trend_period(s: Subject) -> tuple[int, int] | None:
    """The years of the trend column: the Dynamik period (base year → analysis year), ``None`` without one."""
    info = s.result.dynamics
    if info is None or info.base_year is None or info.base_year not in s.common.history.years:
        return None
    return int(info.base_year), int(s.result.year)


def dynamic(s: Subject) -> Body:
    """*Dynamik*: class and index of the change over the period, Gesamtindex, attention, or why there is none."""
    info, row, defs = s.result.dynamics, s.row, s.dataset.indicator_definitions
    if info is None or "dynamic_class" not in row.index:
        return Body(())
    if not info.computed:
        return Body((), f"Keine Dynamik für diesen Datenstand. {info.note}".strip())
    index, code = float(row["dynamic_index"]), s.common.code(s.position, "dynamic_index")
    rows = [("Zeitraum", info.period), ("Dynamikklasse", str(row["dynamic_class"])),
            ("Dynamikindex", code or (format_number(index, 2, signed=True) if np.isfinite(index) else "–")),
            ("Gesamtindex", str(row["overall_class"]) or "–"),
            ("Gesamtindex-Code (MSS)", str(row["overall_code"]) or "–"),
            ("Besonderer Aufmerksamkeitsbedarf", "ja" if bool(row["attention"]) else "nein")]
    if not bool(row["dynamic_classified"]):
        rows.append(("Ohne Dynamikklasse, weil", str(row["dynamic_reason"]) or "–"))
    for key in info.ready_made:  # a supplied change; the computed ones are the trend column of the indicators
        label = str(defs.at[key, "label"]) if key in defs.index else key
        unit = _unit(defs, key)
        rows.append((label + (f" ({unit})" if unit else ""),
                     _shown(float(row[dynamic_key(key)]), s.common.code(s.position, dynamic_key(key)), 1, signed=True)))
    note = ("Dynamik (MSS): Veränderung der Indikatoren im Zeitraum, standardisiert; Dynamikindex positiv = Lage "
            "verschlechtert sich; Klassen positiv (unter −1), stabil, negativ (über +1). Besonderer "
            f"Aufmerksamkeitsbedarf: {attention_rule_text()}. {info.note}")
    return Body((Table(("Kennzahl", "Wert"), tuple(rows)),), note.strip(), kind="facts")


def _series_table(series: Series) -> Table:
    """One series as a table by year: the status index with its class, an indicator with the city average."""
    years = [str(y) for y in series.years]
    unit = f" ({series.unit})" if series.unit and series.unit != COUNT_UNIT else ""
    if series.key == STATUS_KEY:
        rows = tuple((y, _shown(v, c, 2, signed=True) if c or np.isfinite(v) else "–", k)
                     for y, v, c, k in zip(years, series.values, series.codes, series.classes, strict=True))
        return Table(("Jahr", "Statusindex", "Statusklasse"), rows, ("left", "right", "left"), caption="Statusindex")
    decimals = 0 if series.is_count else 1
    rows = tuple((y, _shown(v, c, decimals), _shown(m, "", 1), _shown(v - m, HIDDEN if c else "", 1, signed=True))
                 for y, v, c, m in zip(years, series.values, series.codes, series.city, strict=True))
    city = "Ø Sozialräume" if series.is_count else "Stadtdurchschnitt"
    return Table(("Jahr", "Sozialraum", city, "Abweichung"), rows, caption=series.label + unit)


def history(s: Subject) -> Body:
    """*Zeitreihe*: the status index and every indicator in each stored year, the city average beside it."""
    h = s.common.history.district(s.district_id)
    if not h.has_series:
        return Body((), h.note, kind="series")
    note = (f"{CITY_NOTE} Statusindex je Jahr mit den Gewichten dieser Analyse berechnet; positiv = mehr Bedarf. "
            "Sozialräume, die in einem Jahr nicht klassifiziert sind, werden dort nicht ausgewiesen (•).")
    return Body(tuple(_series_table(x) for x in h.series), note, kind="series")


def _nearest(s: Subject, offer_type: str) -> tuple[str, str, str]:
    """Name, distance text and place of the nearest offer of a type (0 m and the closest inside, if any)."""
    types, names, positions, xy = s.common.offer_arrays
    of_type = np.flatnonzero(types == offer_type)
    cx, cy = s.common.centres[0][s.position]
    distance = np.hypot(xy[of_type, 0] - cx, xy[of_type, 1] - cy)
    inside = positions[of_type] == s.position
    pool = np.flatnonzero(inside) if inside.any() else np.arange(len(of_type))
    # ties: the name that sorts first, so the profile never depends on the order of the file
    best = min(pool, key=lambda j: (round(float(distance[j]), 6), names[of_type[j]]))
    name = str(names[of_type[best]])
    if inside.any():
        return name, format_distance(0.0), "im Sozialraum"
    where = int(positions[of_type[best]])
    place = f"in {s.common.districts[settings.DISTRICT_NAME].iloc[where]}" if where >= 0 else "außerhalb der Stadt"
    return name, format_distance(float(distance[best])), place


def offers(s: Subject) -> Body:
    """*Angebote*: the offers inside the district, and per offer type the nearest offer and its distance."""
    common = s.common
    types, names, positions, _ = common.offer_arrays
    order = {t: i for i, t in enumerate(common.types)}
    ids = common.offers[settings.OFFER_ID].astype(str).to_numpy(dtype=object)
    inside = sorted(np.flatnonzero(positions == s.position), key=lambda j: (order.get(types[j], len(order)),
                                                                            names[j], ids[j]))
    addresses = common.addresses
    has_address = any(addresses[j] for j in inside)
    rows = [(str(names[j]), common.short(str(types[j]))) + ((addresses[j] or "–",) if has_address else ())
            for j in inside]
    header = ("Angebot", "Angebotsart") + (("Adresse",) if has_address else ())
    listed = Table(header, tuple(rows), ("left",) * len(header), caption="Angebote im Sozialraum",
                   empty="Im Sozialraum liegt kein Angebot.", shorten=True)
    nearest = tuple((common.short(t), *_nearest(s, t)) for t in common.types)
    table = Table(("Angebotsart", "Nächstes Angebot", "Entfernung", "Lage"), nearest,
                  ("left", "left", "right", "left"), caption="Nächstes Angebot je Angebotsart",
                  empty="Es sind keine Angebote gespeichert.")
    how = common.centres[1][s.position]
    note = ("Entfernung = Luftlinie vom Bezugspunkt des Sozialraums zum nächsten Standort der Art; 0 m, wenn ein "
            f"Standort im Sozialraum liegt. Bezugspunkt hier: {how}.")
    return Body((listed, table), note)


def reach(s: Subject) -> Body:
    """*Reichweite und Versorgungslücken*: per analysed type share in reach, people without, gap and reason."""
    r, common, p = s.result, s.common, s.result.population
    gaps = common.gaps
    mine = gaps[common.gap_ids == s.district_id] if len(gaps) else gaps
    reasons = dict(zip(mine["offer_type"].astype(str), mine["reason"].astype(str), strict=True)) if len(mine) else {}
    rows = []
    for t in r.offer_types:
        share_col, without_col = column("share_in_reach", t), column("without_reach", t)
        median_col = column("median_distance_m", t)
        share = float(s.row[share_col])
        share_text = _shown(100 * share if np.isfinite(share) else share, common.code(s.position, share_col), 0,
                            unit="%")
        median_code = common.code(s.position, median_col)
        median = float(s.row[median_col])
        median_text = median_code or (format_distance(median) if np.isfinite(median) else NO_DATA)
        if s.in_need:
            gap = "ja" if bool(s.row[column("gap", t)]) else "nein"
            why = reasons.get(t, "")
        else:
            gap, why = "nein", "kein hoher Bedarf"
        rows.append((common.short(t), format_distance(r.radii[t]), share_text,
                     _shown(float(s.row[without_col]), common.code(s.position, without_col)), median_text, gap, why))
    threshold = format_number(100 * r.max_share_in_reach, 0)
    note = (f"{p.short} in Reichweite: Anteil {p.genitive}, die höchstens den Radius (Luftlinie) vom nächsten "
            f"Angebot entfernt wohnen; außer Reichweite: ihre Zahl. Versorgungslücke = Sozialraum mit hohem "
            f"Bedarf, in dem weniger als {threshold} % {p.genitive} ein Angebot der Art in Reichweite haben. "
            f"Medianweg = Luftlinie, innerhalb der die Hälfte {p.genitive} ein Angebot erreicht.")
    if p.note:
        note += f" {p.note}."
    table = Table(("Angebotsart", "Radius", f"{p.short} in Reichweite", f"{p.short} außer Reichweite", "Medianweg",
                   "Versorgungslücke", "Begründung"), tuple(rows),
                  ("left", "right", "right", "right", "right", "left", "left"),
                  empty="Keine Angebotsart mit Standorten ist analysiert.")
    return Body((table,), note)


def schools(s: Subject) -> Body:
    """*Grundschulen und Schulsozialindex*: the district's primary schools as a second need signal.

    Empty (the section is left out) while no Grundschule is stored.
    """
    signal = s.common.school_signal
    if signal is None:
        return Body(())
    row = signal.iloc[s.position]
    high = settings.SOZIALINDEX_HIGH

    def level(value: float, decimals: int) -> str:
        return format_number(value, decimals) if np.isfinite(value) else "–"

    rows = (
        ("Grundschulen im Sozialraum", format_number(int(row["schools"]))),
        ("davon mit Schulsozialindex", format_number(int(row["schools_with_index"]))),
        ("Höchster Schulsozialindex", level(float(row["sozialindex_max"]), 0)),
        ("Mittlerer Schulsozialindex", level(float(row["sozialindex_mean"]), 1)),
        (f"Grundschulen mit Sozialindex ≥ {high}", format_number(int(row["schools_high"]))),
        ("davon ohne FGZ", format_number(int(row["high_without_fgz"]))),
    )
    note = (f"Schulsozialindex NRW: Stufe 1 (geringe) bis 9 (sehr hohe Belastung der Schülerschaft); ab Stufe {high} "
            "gilt eine Schule hier als stark belastet. Ein zweites Bedarfssignal neben dem Statusindex.")
    return Body((Table(("Kennzahl", "Wert"), rows),), note, kind="facts")
def chain_links(s: Subject) -> Body:
    """*Präventionskette*: per life phase the offer type whose share counts, its target group, the share, the state.

    Protected as in the Ketten-Matrix: a target group of 1 or 2 as "< 3" with share and state "•".
    """
    chain = s.common.chain
    cells = chain.cells[chain.cells[settings.DISTRICT_ID] == s.district_id]
    rows = []
    for c in cells.itertuples(index=False):
        label = str(chain.phases.at[c.phase, "label"])
        kind = s.common.short(c.offer_type) if c.offer_type else "–"
        target = c.target_code or (format_number(c.target) if np.isfinite(c.target) else NO_DATA)
        hidden = HIDDEN if c.share_code or c.state == PROTECTED else ""
        share = _shown(100 * c.share_in_reach if np.isfinite(c.share_in_reach) else np.nan, hidden, unit="%")
        state = f"{c.state} {STATES.get(c.state, '')}" + (" – Versorgungslücke" if c.gap else "")
        rows.append((label, kind, target, share, state))
    threshold = format_number(100 * chain.max_share_in_reach, 0, unit="%")
    note = (f"Glied vorhanden ab {threshold} der Zielgruppe in Reichweite; bei mehreren Angebotsarten zählt die "
            "mit dem höchsten Anteil.")
    table = Table(("Lebensphase", "Angebotsart", "Zielgruppe", "in Reichweite", "Glied der Kette"), tuple(rows),
                  ("left", "left", "right", "right", "left"),
                  empty="Für keine Lebensphase ist eine Angebotsart mit Standorten ausgewertet.")
    return Body((table,), note.strip())


Builder = Callable[[Subject], Body]
#: The sections of every profile, in order: (key, German title, builder). Add a section by adding an entry.
SECTIONS: tuple[tuple[str, str, Builder], ...] = (
    ("kennzahlen", "Kennzahlen", key_figures),
    ("dynamik", "Dynamik", dynamic),
    ("indikatoren", "Indikatoren", indicators),
    ("zeitreihe", "Zeitreihe", history),
    ("reichweite", "Reichweite und Versorgungslücken", reach),
    ("kette", "Präventionskette", chain_links),
    ("angebote", "Angebote", offers),
    ("schulen", "Grundschulen und Schulsozialindex", schools),
)


def _profile(common: Common, position: int) -> Profile:
    s = Subject(common, position)
    row = s.row
    area = ""
    if settings.AREA_NAME in row.index and pd.notna(row[settings.AREA_NAME]):
        area = str(row[settings.AREA_NAME]).strip()
    elif settings.AREA_ID in row.index and pd.notna(row[settings.AREA_ID]):
        area = str(row[settings.AREA_ID]).strip()
    sections = []
    for key, title, builder in SECTIONS:
        body = builder(s)
        if not body.tables and not body.note:
            continue  # nothing to say (e.g. no Grundschulen stored): the section is left out
        sections.append(Section(key, title, body.kind, body.tables, body.note))
    return Profile(
        district_id=s.district_id, name=str(row[settings.DISTRICT_NAME]), area=area,
        status_class=str(row["status_class"]), status_index=_status_index_text(s), in_need=s.in_need,
        year=int(common.result.year), city=str(common.dataset.city or ""), sections=tuple(sections),
    )


def district_position(result: Result, district_id: object) -> int:
    """Row position of a district in :attr:`Result.districts` by its Sozialraum-Nr. (text, spaces ignored).

    Raises
    ------
    DataError
        If no district has that number (German message naming it).
    """
    wanted = str(district_id).strip()
    ids = result.districts[settings.DISTRICT_ID].astype(str).str.strip().tolist()
    if wanted not in ids:
        examples = ", ".join(f"„{i}“" for i in sorted(ids)[:3])
        raise DataError(f"Einen Sozialraum mit der Sozialraum-Nr. „{wanted}“ gibt es in diesen Daten nicht. "
                        f"Vorhandene Nummern sind z. B. {examples}.")
    return ids.index(wanted)


def district_profile(dataset: Dataset, result: Result, district_id: object, *, common: Common | None = None
                     ) -> Profile:
    """The Sozialraumsteckbrief of the district ``district_id`` (its Sozialraum-Nr. as stored).

    Parameters
    ----------
    dataset, result
        The data set and its analysis.
    district_id
        Sozialraum-Nr.; compared as text without surrounding spaces.
    common
        Shared data of :func:`profiles` (computed when not given).

    Raises
    ------
    DataError
        For an unknown Sozialraum-Nr.
    """
    position = district_position(result, district_id)
    return _profile(common or Common(dataset, result), position)


def profiles(dataset: Dataset, result: Result, *, common: Common | None = None) -> list[Profile]:
    """The profiles of all districts, sorted by Sozialraum-Nr.; the shared data are computed once."""
    common = common or Common(dataset, result)
    order = sorted(range(len(common.ids)), key=lambda i: common.ids[i])
    return [_profile(common, i) for i in order]
