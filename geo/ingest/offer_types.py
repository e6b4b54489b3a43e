"""A workspace's offer types and life phases as the planner edits them: checked, new keys made, stored together.

The page Angebotsarten shows both tables; :func:`edit_chain_config` (or :func:`edit_offer_types` and
:func:`edit_phases` on their own) checks an edit and reports every problem at once, naming the table's row
(counted from 1, as the page shows it) and the type or phase. :func:`commit_chain_config` stores both tables in
one transaction and refuses a confirm made against an older state. Every text a planner types is data: it is kept
as written (whitespace collapsed), never interpreted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from geo import catalog, settings
from geo._errors import Report
from geo.formatting import format_number
from geo.ingest.columns import _norm

#: Fields of an offer type: the key ``type`` and everything the table holds (:mod:`geo.catalog`).
TYPE_FIELDS: Final[list[str]] = catalog.OFFER_TYPE_COLUMNS + catalog.CHAIN_COLUMNS
#: Fields of a life phase: the key ``phase``, ``label``, ``short``, ``order``, ``description``.
PHASE_FIELDS: Final[list[str]] = list(catalog.PHASE_COLUMNS)
#: German name of every field: the page's column headers, and how messages name a column.
FIELD_TITLES: Final[dict[str, str]] = {
    "type": "Kennung", "label": "Bezeichnung", "short": "Kurzname", "plural": "Mehrzahl",
    "nearest_phrase": "Abstand (Wendung)", "radius_m": "Radius (m)", "color": "Farbe", "marker": "Symbol",
    "analysed": "analysiert", "description": "Beschreibung", "phase": "Lebensphase", "target": "Zielgruppe",
    "reach_model": "Reichweitenmodell", "host_type": "zugeordnete Einrichtung", "order": "Reihenfolge",
}
#: A key names columns of the result (``share_in_reach__<type>``) and widgets: lower-case ASCII letters, digits
#: and ``_``, beginning with a letter, at most :data:`MAX_KEY` characters.
MAX_KEY: Final[int] = 40
KEY_PATTERN: Final[re.Pattern] = re.compile(rf"^[a-z][a-z0-9_]{{0,{MAX_KEY - 1}}}$")
#: Longest names and descriptions (a legend, a table header and a report line must hold them).
MAX_NAME: Final[int] = 120
MAX_DESCRIPTION: Final[int] = 300
#: A colour as ``#RRGGBB``.
HEX_COLOR: Final[re.Pattern] = re.compile(r"^#[0-9A-Fa-f]{6}$")
#: Colours a new type without one gets, the first one not yet used (Okabe–Ito, colour-blind safe).
NEW_TYPE_COLORS: Final[tuple[str, ...]] = (
    "#E69F00", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#009E73", "#56B4E9", "#000000",
)
#: Highest phase order number.
MAX_ORDER: Final[int] = 999
_LISTED_OFFERS = 5


def key_from_label(label: object, taken: Iterable[str], *, fallback: str) -> str:
    """A new key from a label: lower-case ASCII words joined by ``_``, unique among ``taken``.

    Umlauts are spelled out (``ä`` → ``ae``, ``ß`` → ``ss``), other accents dropped (``é`` → ``e``):
    ``"Elterncafé"`` → ``"elterncafe"``, or ``"elterncafe_2"`` when that is taken. A label without any letter
    or digit gets ``fallback``; a key never begins with a digit (``"2. Chance"`` → ``"t_2_chance"`` for the
    fallback ``"typ"``).
    """
    text = str(label).casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = "_".join(re.findall(r"[a-z0-9]+", text))[: MAX_KEY - 4].strip("_") or fallback
    if not base[0].isalpha():
        base = f"{fallback[0]}_{base}"
    taken = set(taken)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _text(value: object) -> str:
    """A cell as text with whitespace collapsed; missing cells (None, NaN) are ``""``."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return " ".join(str(value).split())


def _flag(value: object) -> bool:
    """A check box cell (or ``ja``/``nein`` text) as a bool."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return _text(value).lower() in {"ja", "j", "yes", "true", "1", "x"}


def _number(value: object) -> float:
    """A number cell (or German number text, ``1.500`` / ``2,5``) as a float; NaN when empty or unreadable."""
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
        return float(value)
    text = _text(value).replace(" ", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text):
        text = text.replace(".", "")
    return float(pd.to_numeric(pd.Series([text.replace(",", ".")]), errors="coerce").iloc[0]) if text else np.nan


def _rows(edited: pd.DataFrame, key: str) -> list[dict]:
    """The edited table's rows as dicts, the key a field (taken from the index where it is no column)."""
    frame = edited if key in edited.columns else edited.rename_axis(key).reset_index()
    return frame.reset_index(drop=True).to_dict("records")


def _field(report: Report, values: Mapping[str, object], field: str, *, what: str, row: int, ask: str | None,
           limit: int = MAX_NAME) -> str:
    """A text field of a row; ``ask`` (the request for a missing value) makes it required; too long is an error."""
    text = _text(values.get(field))
    if ask and not text:
        report.error(f"{what}: Bitte geben Sie {ask} an.", row=row, column=field)
    elif len(text) > limit:
        report.error(f"{what}: Der Text in der Spalte „{FIELD_TITLES[field]}“ ist {len(text)} Zeichen lang; "
                     f"höchstens {limit} sind möglich.", row=row, column=field)
    return text


def _what(kind: str, label: str, key: str) -> str:
    """``Angebotsart „Familienbüro“``: the row's label, else its key, else "Neue Angebotsart"."""
    name = label or key
    return f"{kind} „{name}“" if name else f"Neue {kind}"


def _check_key(report: Report, key: str, *, what: str, row: int, field: str) -> None:
    if not KEY_PATTERN.match(key):
        report.error(f"{what}: Die Kennung „{key}“ darf nur Kleinbuchstaben a–z, Ziffern und „_“ enthalten, muss "
                     f"mit einem Buchstaben beginnen und höchstens {MAX_KEY} Zeichen lang sein.", row=row,
                     column=field)


def _repeats(values: Iterable[object]) -> list[tuple[int, int]]:
    """(row, earlier row with the same value) for every repeated non-empty value; rows counted from 1."""
    first: dict[object, int] = {}
    out = []
    for i, value in enumerate(values, start=1):
        if value in ("", None):
            continue
        if value in first:
            out.append((i, first[value]))
        else:
            first[value] = i
    return out


# ------------------------------------------------------------------------------------------------------ phases


def _phase_rows(current: pd.DataFrame, edited: pd.DataFrame, report: Report) -> pd.DataFrame:
    """The edited phases checked row by row (best effort even with errors), indexed by ``phase``, in order."""
    rows = _rows(edited, "phase")
    taken = set(current.index) | {_text(r.get("phase")) for r in rows}
    orders = [_number(r.get("order")) for r in rows]
    last = max([int(o) for o in orders if o == o] + [int(o) for o in current["order"]] + [0])
    out = []
    for n, values in enumerate(rows, start=1):
        key, label = _text(values.get("phase")), _text(values.get("label"))
        what = _what("Lebensphase", label, key)
        label = _field(report, values, "label", what=what, row=n, ask="eine Bezeichnung")
        short = _field(report, values, "short", what=what, row=n, ask="einen Kurznamen (für die Ketten-Matrix)")
        description = _field(report, values, "description", what=what, row=n, ask=None, limit=MAX_DESCRIPTION)
        if not key:
            key = key_from_label(label, taken, fallback="phase") if label else ""
            taken.add(key)
        elif key not in current.index:
            _check_key(report, key, what=what, row=n, field="phase")
        order, raw = orders[n - 1], _text(values.get("order"))
        if not raw:
            last += 1
            order = float(last)
        if not (order == order and float(order).is_integer() and 1 <= order <= MAX_ORDER):
            report.error(f"{what}: Die Reihenfolge „{raw}“ muss eine ganze Zahl von 1 bis {MAX_ORDER} sein.",
                         row=n, column="order")
            order = 0.0
        out.append({"phase": key, "label": label, "short": short, "order": int(order), "description": description})
    table = pd.DataFrame(out, columns=PHASE_FIELDS)
    if table.empty:
        report.error("Es muss mindestens eine Lebensphase geben.")
    for n, first in _repeats(table["phase"]):
        report.error(f"{_what('Lebensphase', out[n - 1]['label'], '')}: Die Kennung „{out[n - 1]['phase']}“ "
                     f"hat schon die Lebensphase in Zeile {first}.", row=n, column="phase")
    for n, first in _repeats(o or None for o in table["order"]):
        report.error(f"{_what('Lebensphase', out[n - 1]['label'], '')}: Die Reihenfolge {out[n - 1]['order']} hat "
                     f"schon die Lebensphase in Zeile {first}; jede Lebensphase braucht ihre eigene Nummer.",
                     row=n, column="order")
    for n, first in _repeats(table["label"].map(_norm)):
        report.error(f"{_what('Lebensphase', out[n - 1]['label'], '')}: Diese Bezeichnung hat schon die "
                     f"Lebensphase in Zeile {first}.", row=n, column="label")
    return catalog.phases_from_table(table)


def _removed_phases_in_use(
    current: pd.DataFrame, phases: pd.DataFrame, offer_types: pd.DataFrame, report: Report
) -> None:
    """A phase that ``offer_types`` still name cannot be removed: an error per phase, naming the types."""
    for key in [k for k in current.index if k not in phases.index]:
        users = offer_types.index[offer_types["phase"] == key]
        if len(users):
            names = ", ".join(f"„{offer_types.at[t, 'label']}“" for t in users)
            who = f"Die Angebotsart {names} gehört" if len(users) == 1 else f"Die Angebotsarten {names} gehören"
            report.error(f"Die Lebensphase „{current.at[key, 'label']}“ kann nicht entfernt werden: {who} zu ihr. "
                         "Ordnen Sie sie zuerst einer anderen (oder keiner) Lebensphase zu.", column="phase")


def edit_phases(
    current: pd.DataFrame, edited: pd.DataFrame, *, offer_types: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, Report]:
    """Check a planner's edit of the life phases: the new phases and a report of every problem.

    Parameters
    ----------
    current
        The phases in use (:attr:`geo.dataset.Dataset.phases`), indexed by ``phase``.
    edited
        One row per phase (``phase`` as a column or the index; empty for a new phase, whose key is made from
        its label with :func:`key_from_label`) with ``label`` and ``short`` (required), ``order`` (a whole
        number 1–999, unique; empty: after the last one) and ``description``. A phase of ``current`` left out
        is removed.
    offer_types
        The offer types in force: a phase one of them belongs to cannot be removed.

    Returns
    -------
    (pandas.DataFrame, Report)
        The phases (as :func:`geo.catalog.phases_from_table` gives them, sorted by ``order``) and the report;
        with errors ``current`` unchanged.
    """
    report = Report()
    phases = _phase_rows(current, edited, report)
    if offer_types is not None:
        _removed_phases_in_use(current, phases, offer_types, report)
    return (phases if report.ok else current), report


# ------------------------------------------------------------------------------------------------- offer types


def _type_rows(current: pd.DataFrame, edited: pd.DataFrame, *, phase_keys: set[str], report: Report) -> pd.DataFrame:
    """The edited types checked field by field (best effort even with errors), as text (``type`` a column)."""
    rows = _rows(edited, "type")
    taken = set(current.index) | {_text(r.get("type")) for r in rows}
    used = {str(c).lower() for c in current["color"]} | {_text(r.get("color")).lower() for r in rows}
    free_colors = [c for c in NEW_TYPE_COLORS if c.lower() not in used]
    out: list[dict] = []
    for n, values in enumerate(rows, start=1):
        key, label = _text(values.get("type")), _text(values.get("label"))
        new = key not in current.index or key in {row["type"] for row in out}  # a second "fgz" is no stored type
        what = _what("Angebotsart", label, key)

        def field(name: str, ask: str | None, limit: int = MAX_NAME, *, _w=what, _n=n, _v=values) -> str:
            return _field(report, _v, name, what=_w, row=_n, ask=ask, limit=limit)

        label = field("label", "eine Bezeichnung")
        short = field("short", "einen Kurznamen (für Legenden und Tabellen)")
        plural = field("plural", "die Mehrzahl (z. B. „Familienbüros“)")
        phrase = field("nearest_phrase", None if new else "die Wendung für den Abstand (z. B. „vom nächsten "
                       "Familienbüro“)")
        description = field("description", None, MAX_DESCRIPTION)
        if not key:
            key = key_from_label(label, taken, fallback="typ") if label else ""
            taken.add(key)
        elif new:
            _check_key(report, key, what=what, row=n, field="type")
        if new and not phrase and short:
            phrase = f"vom nächsten Standort ({short})"
        analysed = _flag(values.get("analysed"))
        radius = _radius(report, values.get("radius_m"), analysed=analysed, what=what, row=n)
        color = _text(values.get("color"))
        if not color and new and free_colors:
            color = free_colors.pop(0)
        if not HEX_COLOR.match(color):
            report.error(f"{what}: Die Farbe „{color}“ ist keine Farbangabe wie „#0072B2“ (# und sechs "
                         "Hexadezimalziffern 0–9, A–F).", row=n, column="color")
        marker = _text(values.get("marker")).lower() or catalog.DEFAULT_MARKER
        if marker not in catalog.MARKERS:
            report.error(f"{what}: Das Symbol „{marker}“ gibt es nicht; möglich sind "
                         f"{', '.join(catalog.MARKERS)}.", row=n, column="marker")
        phase = _text(values.get("phase"))
        if phase and phase not in phase_keys:
            report.error(f"{what}: Die Lebensphase „{phase}“ gibt es nicht in der Tabelle der Lebensphasen.", row=n,
                         column="phase")
        model = _text(values.get("reach_model")).lower() or "radius"
        if model not in catalog.REACH_MODELS:
            report.error(f"{what}: Das Reichweitenmodell „{model}“ gibt es nicht; möglich sind "
                         f"{', '.join(f'„{m}“ ({name})' for m, name in catalog.REACH_MODELS.items())}.", row=n,
                         column="reach_model")
        out.append({
            "type": key, "label": label, "short": short, "plural": plural, "nearest_phrase": phrase,
            "radius_m": "" if radius != radius else f"{radius:g}", "color": color, "marker": marker,
            "analysed": "ja" if analysed else "nein", "description": description, "phase": phase,
            "target": _target(report, values.get("target"), what=what, row=n),
            "reach_model": model, "host_type": _text(values.get("host_type")),
        })
    table = pd.DataFrame(out, columns=TYPE_FIELDS)
    _check_hosts(table, report)
    _check_names_apart(table, report)
    return table


def _radius(report: Report, value: object, *, analysed: bool, what: str, row: int) -> float:
    """The radius in metres (NaN when empty): required within the sidebar's range where the type is analysed."""
    radius, raw = _number(value), _text(value)
    if analysed and not settings.RADIUS_MIN_M <= radius <= settings.RADIUS_MAX_M:
        given = f" (angegeben: „{raw}“)" if raw else ""
        report.error(f"{what}: Eine analysierte Angebotsart braucht einen Radius von "
                     f"{format_number(settings.RADIUS_MIN_M)} bis {format_number(settings.RADIUS_MAX_M)} Metern"
                     f"{given}.", row=row, column="radius_m")
    elif raw and not radius > 0:
        report.error(f"{what}: Der Radius „{raw}“ ist keine Zahl größer als 0.", row=row, column="radius_m")
    return radius


def _target(report: Report, value: object, *, what: str, row: int) -> str:
    """The target group as stored (``geburten`` or ``"A-B"``; empty: all children); unreadable is an error."""
    text = _text(value) or catalog.CHAIN_DEFAULTS["target"]
    target = catalog.parse_target(text)
    if target is None:
        report.error(f"{what}: Die Zielgruppe „{text}“ ist weder „geburten“ noch eine Altersspanne wie „6-10“ (von "
                     "6 bis unter 10 Jahren, ganze Jahre von 0 bis 99).", row=row, column="target")
        return text
    return catalog.BIRTHS_TARGET if target.births else f"{target.low}-{target.high}"


def _check_hosts(table: pd.DataFrame, report: Report) -> None:
    """The assigned-facility model needs a host type: another type of the table (a named host must exist)."""
    keys = set(table["type"])
    for n, row in enumerate(table.to_dict("records"), start=1):
        what = _what("Angebotsart", row["label"], row["type"])
        host = row["host_type"]
        if row["reach_model"] == "zuordnung" and not host:
            report.error(f"{what}: Beim Reichweitenmodell „{catalog.REACH_MODELS['zuordnung']}“ muss feststehen, "
                         "an welcher Art von Einrichtung das Angebot läuft (z. B. Grundschule): Bitte wählen Sie "
                         "die zugeordnete Einrichtung.", row=n, column="host_type")
        elif host == row["type"]:
            report.error(f"{what}: Die zugeordnete Einrichtung muss eine andere Angebotsart sein als diese selbst.",
                         row=n, column="host_type")
        elif host and host not in keys:
            report.error(f"{what}: Die zugeordnete Einrichtung „{host}“ ist keine Angebotsart der Tabelle (mehr); "
                         "wählen Sie eine andere.", row=n, column="host_type")


def _check_names_apart(table: pd.DataFrame, report: Report) -> None:
    """Keys and names of different types must differ (compared loosely): an offers file names its type by any."""
    seen: dict[str, int] = {}
    for n, row in enumerate(table.to_dict("records"), start=1):
        what = _what("Angebotsart", row["label"], row["type"])
        mine: dict[str, str] = {}
        for name in ("type", "label", "short", "plural"):
            mine.setdefault(_norm(row[name]), name)
        mine.pop("", None)
        for norm, name in mine.items():
            if norm not in seen:
                continue
            if name == "type":
                report.error(f"{what}: Die Kennung „{row[name]}“ gibt es schon in Zeile {seen[norm]}.", row=n,
                             column=name)
            else:
                report.error(f"{what}: Der Name „{row[name]}“ gleicht einem Namen der Angebotsart in Zeile "
                             f"{seen[norm]}; beim Hochladen von Angeboten wäre nicht klar, welche gemeint ist. "
                             "Wählen Sie einen anderen Namen.", row=n, column=name)
        for norm in mine:
            seen.setdefault(norm, n)


def _removed_types_in_use(
    current: pd.DataFrame, table: pd.DataFrame, offers: pd.DataFrame | None, report: Report
) -> None:
    """A type with stored offers cannot be removed: an error per type, naming its offers."""
    if offers is None or not len(offers):
        return
    kinds = offers[settings.OFFER_TYPE].astype(str)
    for key in [k for k in current.index if k not in set(table["type"]) and (kinds == k).any()]:
        of_type = offers[kinds == key].head(_LISTED_OFFERS)
        named = ", ".join(f"„{_text(name) or '–'}“ (Nr. {_text(oid)})"
                          for name, oid in zip(of_type[settings.OFFER_NAME], of_type[settings.OFFER_ID], strict=True))
        more = int((kinds == key).sum()) - len(of_type)
        report.error(f"Die Angebotsart „{current.at[key, 'label']}“ kann nicht entfernt werden: Es sind Angebote "
                     f"dieser Art gespeichert: {named}{f' und {more} weitere' if more else ''}. Behalten Sie die "
                     "Angebotsart (z. B. ohne Häkchen bei „analysiert“) oder ersetzen Sie zuerst die Angebote auf "
                     "der Seite Daten.", column="type")


def _types_checked(
    current: pd.DataFrame, edited: pd.DataFrame, *, phase_keys: set[str], offers: pd.DataFrame | None,
    report: Report,
) -> pd.DataFrame:
    table = _type_rows(current, edited, phase_keys=phase_keys, report=report)
    if table.empty:
        report.error("Es muss mindestens eine Angebotsart geben.")
    _removed_types_in_use(current, table, offers, report)
    return catalog.offer_types_from_table(table)


def edit_offer_types(
    current: pd.DataFrame, edited: pd.DataFrame, *, phases: pd.DataFrame | None = None,
    offers: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Check a planner's edit of the offer types: the new types and a report of every problem.

    Parameters
    ----------
    current
        The types in use (:attr:`geo.dataset.Dataset.offer_types`), indexed by ``type``.
    edited
        One row per type in the new order (``type`` as a column or the index; empty for a new type, whose key
        is made from its label with :func:`key_from_label`) with the fields of :data:`TYPE_FIELDS`:
        ``label``, ``short``, ``plural`` (required), ``nearest_phrase`` (required for a stored type; a new one
        gets "vom nächsten Standort (<short>)"), ``radius_m`` (100–20,000 m where ``analysed``), ``color``
        (``#RRGGBB``; a new type without one gets an unused colour), ``marker`` (a key of
        :data:`geo.catalog.MARKERS`, default circle), ``analysed``, ``description``, ``phase`` (a key of
        ``phases`` or empty), ``target`` (:func:`geo.catalog.parse_target`, default all children),
        ``reach_model`` (:data:`geo.catalog.REACH_MODELS`, default radius) and ``host_type`` (another type of
        the table; required for ``zuordnung``). A type of ``current`` left out is removed.
    phases
        The life phases in force (default: the built-in ones).
    offers
        The stored offers: a type that has offers cannot be removed.

    Returns
    -------
    (pandas.DataFrame, Report)
        The types (as :func:`geo.catalog.offer_types_from_table` gives them) and the report; with errors
        ``current`` unchanged.
    """
    report = Report()
    phases = catalog.read_phases() if phases is None else phases
    types = _types_checked(current, edited, phase_keys=set(phases.index), offers=offers, report=report)
    return (types if report.ok else current), report


def edit_chain_config(
    offer_types: pd.DataFrame, edited_types: pd.DataFrame, phases: pd.DataFrame, edited_phases: pd.DataFrame,
    *, offers: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, Report]:
    """Check an edit of both tables at once (the page): the types against the edited phases, and back.

    A type may name a phase added in the same edit, and a phase may be removed once the edited types no longer
    name it. Arguments as in :func:`edit_offer_types` and :func:`edit_phases`.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, Report)
        The offer types, the phases and one report (the phases' problems first); with errors both unchanged.
    """
    report = Report()
    new_phases = _phase_rows(phases, edited_phases, report)
    # A phase whose removal is refused (below) stays: the types naming it get no second message.
    keys = set(new_phases.index) | set(phases.index)
    types = _types_checked(offer_types, edited_types, phase_keys=keys, offers=offers, report=report)
    _removed_phases_in_use(phases, new_phases, types, report)
    if not report.ok:
        return offer_types, phases, report
    return types, new_phases, report


def commit_chain_config(
    workspace, offer_types: pd.DataFrame, phases: pd.DataFrame, *, base_versions: Mapping[str, int | None],
    comment: str = "", filename: str = "Seite Angebotsarten",
) -> dict:
    """Store checked offer types and phases (from :func:`edit_chain_config`) as the workspace's own, in one step.

    Both layers (``offer_types``, ``phases``) become active in one transaction, or neither; a table equal to
    its active version adds no version.

    Parameters
    ----------
    workspace
        A writable :class:`geo.store.Workspace`.
    offer_types, phases
        Typed tables, indexed by ``type`` / ``phase``.
    base_versions
        Layer → version the edit was checked against: ``offer_types``, ``phases`` and ``offers`` (whose
        offers decided which types may be removed). If another session stored any of them in between,
        :class:`~geo._errors.VersionConflict` is raised and nothing is written.
    comment, filename
        Shown in the history (page Verlauf).

    Returns
    -------
    dict
        Layer → :class:`geo.store.VersionInfo`.
    """
    frames = {"offer_types": catalog.offer_types_table(offer_types), "phases": catalog.phases_table(phases)}
    return workspace.save_many(frames, filename=filename, comment=comment, base_versions=base_versions)
