"""Which columns of an indicator upload are indicators, and how they are defined (label, unit, direction, indices).

A city brings its own indicators. The columns of its table are proposed in this order: the definitions already
stored in the workspace, then the built-in NRW set (a ready-made suggestion, :data:`geo.settings.INDICATORS_FILE`),
then every other numeric column as a new candidate (label, unit and kind guessed from the header, in neither index
until the planner says so). The planner's choices (``choices``) then override the proposal per column. A column of
kind ``dynamik`` is a ready-made change for the Dynamik index (:mod:`geo.analysis.dynamics`): on the command line
``--dynamic "SPALTE:+"`` (:func:`parse_indicator_options`), on the Daten page the column "Art".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

import pandas as pd

from geo import catalog
from geo._errors import DataError, Report
from geo.analysis.dynamics import DYNAMIC_COLUMNS, KINDS
from geo.ingest.columns import _ID_SUFFIXES, _INDICATOR_ID_ALIASES, _gap_codes, _norm, _text
from geo.io import parse_number

#: One row per proposed column: the file column, the indicator key it becomes, whether it is taken as an
#: indicator, the definition fields and where the proposal came from (:data:`ORIGINS`).
PROPOSAL_COLUMNS: Final[list[str]] = [
    "column", "key", "indicator", "label", "unit", "direction", "in_index", "weight", "kind", "in_dynamic",
    "dynamic_weight", "description", "origin",
]
#: Where a proposal comes from → German text for the page.
ORIGINS: Final[dict[str, str]] = {
    "stored": "gespeichert",
    "suggested": "Vorschlag (NRW-Indikator)",
    "new": "neu aus der Datei",
}
#: Fields of a definition the planner may set per column (besides ``indicator``: take it or not).
CHOICE_FIELDS: Final[frozenset[str]] = frozenset({"indicator", "label", "unit", "direction", "in_index", "weight",
                                                  "kind", "in_dynamic", "dynamic_weight", "description"})
#: The definition fields of a proposal row (everything but the column, the choice and the origin).
_FIELDS: Final[tuple[str, ...]] = (*(f for f in catalog.INDICATOR_COLUMNS if f != "key"),
                                   *catalog.DYNAMIC_DEFINITION_COLUMNS)
#: Names an indicator key must not take: columns of the indicator table and of the analysis result.
RESERVED_KEYS: Final[frozenset[str]] = frozenset({
    "district_id", "district_name", "area_id", "area_name", "year", "inhabitants", "children", "geometry",
    "index_sum", "status_index", "status_class", "classified", *DYNAMIC_COLUMNS,
})
#: Kind of a definition as the planner may write it (key or German name, any case) → key of :data:`KINDS`.
_KIND_NAMES: Final[dict[str, str]] = {name.casefold(): key for key, label in KINDS.items()
                                      for name in (key, label, label.split(" (")[0])}
#: Share of a column's non-blank cells that must be numbers for it to be proposed as an indicator.
NUMERIC_SHARE: Final[float] = 0.5
#: How many non-blank cells of a column that share is judged on.
NUMERIC_SAMPLE: Final[int] = 500

_PERCENT_WORDS = ("quote", "anteil", "prozent", "rate")
_PER_THOUSAND = re.compile(r"(je|pro|/)\s*1\.?000|‰", re.IGNORECASE)
_CHANGE_WORDS = re.compile(r"(?:ä|ae)nderung|entwicklung|differenz|\bdelta\b|dynamik|prozentpunkt|%-?punkt|\bpp\b",
                           re.IGNORECASE)
_UNIT_SUFFIX = re.compile(r"\s*(?:\(\s*(?:in\s*)?(?:%-?punkte|prozentpunkte|%|‰|(?:je|pro)\s*1\.?000[^)]*)\s*\)"
                          r"|\[\s*%\s*\]|in\s*%)\s*$", re.IGNORECASE)


def guess_unit(header: object) -> str:
    """Unit of a column from its header: ``"(%)"`` or a share word → ``"%"``, ``"je 1000"`` → ``"je 1.000"``.

    Anything else gets no unit (``""``); the planner can pick one (:data:`geo.catalog.UNITS`).
    """
    text = str(header)
    if _PER_THOUSAND.search(text):
        return "je 1.000"
    if "%" in text or any(word in _norm(text) for word in _PERCENT_WORDS):
        return "%"
    return ""


def guess_kind(header: object) -> str:
    """Kind of a new column from its header: ``dynamik`` for a change, else ``status``.

    A change is named so: "Veränderung …", "Entwicklung …", "… (Prozentpunkte)", "Delta …". Only a proposal:
    the planner can change the "Art".
    """
    return "dynamik" if _CHANGE_WORDS.search(str(header)) else "status"


def label_from_header(header: object) -> str:
    """Label of a new indicator: the header without a trailing unit (``"Transferbezug (%)"`` → ``"Transferbezug"``)."""
    text = " ".join(str(header).split())
    label = _UNIT_SUFFIX.sub("", text).strip()
    return label or text


def indicator_key(label: object, taken: Iterable[str]) -> str:
    """A new indicator's key: the label in lower-case ASCII words joined by ``_``, unique among ``taken``.

    Keys name columns of stored tables and widgets; the label (any text) is what planners see.
    """
    text = str(label).casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    base = "_".join(re.findall(r"[a-z0-9]+", text))[:40].strip("_") or "indikator"
    if base in RESERVED_KEYS or base.startswith(("z_", "dyn_", "share_in_reach", "gap__")):
        base = f"ind_{base}"
    taken = set(taken)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def parse_indicator_option(text: str, option: str = "--indicator") -> tuple[str, dict[str, object]]:
    """The command line's ``--indicator "COLUMN:+"`` (or ``--dynamic``) → (column, choice for ``choices``).

    ``+``: a higher value means more need (for ``--dynamic``: a rising value means the situation gets worse),
    ``-``: the opposite. ``--indicator`` takes the column as a status indicator of the status index with weight 1
    (its change enters the Dynamik index with weight 1, as in the MSS); ``--dynamic`` as a ready-made change
    (kind ``dynamik``: outside the status index, in the Dynamik index with weight 1). The other fields come from
    the proposal. The column is everything before the last ``:``, so headers containing ``:`` work.

    Raises
    ------
    DataError
        The text is not of that form (German message naming it).
    """
    column, sep, sign = str(text).rpartition(":")
    column, sign = column.strip(), sign.strip()
    if not sep or not column or sign not in ("+", "-"):
        if option == "--dynamic":
            raise DataError(f"„{text}“ ist keine gültige Angabe für --dynamic. Erwartet wird „SPALTE:+“ (steigender "
                            "Wert = Lage verschlechtert sich) oder „SPALTE:-“ (steigender Wert = Lage verbessert "
                            "sich).")
        raise DataError(f"„{text}“ ist keine gültige Indikator-Angabe. Erwartet wird „SPALTE:+“ (höherer Wert = "
                        "mehr Bedarf) oder „SPALTE:-“ (höherer Wert = weniger Bedarf).")
    choice: dict[str, object] = {"indicator": True, "direction": 1 if sign == "+" else -1}
    if option == "--dynamic":
        choice |= {"kind": "dynamik", "in_index": False, "in_dynamic": True, "dynamic_weight": 1.0}
    else:
        choice |= {"kind": "status", "in_index": True, "weight": 1.0, "in_dynamic": True, "dynamic_weight": 1.0}
    return column, choice


def parse_indicator_options(texts: Iterable[str], dynamic: Iterable[str] = ()) -> dict[str, dict[str, object]]:
    """``--indicator`` and ``--dynamic`` values → ``choices`` (see :func:`parse_indicator_option`).

    Every problem is reported at once: a value not of the form ``SPALTE:+``, a column given twice, a column given
    both as a status and as a Dynamik indicator. When Dynamik columns are given, the city supplies its Dynamik:
    the ``--indicator`` columns do not enter the Dynamik index (``in_dynamic`` false; the check of the upload
    does the same for the file's other status indicators, :func:`apply_choices`).

    Raises
    ------
    DataError
        Listing every problem.
    """
    report = Report()
    out: dict[str, dict[str, object]] = {}
    given: dict[str, str] = {}
    for option, values in (("--indicator", texts), ("--dynamic", dynamic)):
        for text in values:
            try:
                column, choice = parse_indicator_option(text, option)
            except DataError as err:
                report.error(str(err))
                continue
            if column in given:
                if given[column] == option:
                    report.error(f"Die Spalte „{column}“ ist mehrfach mit {option} angegeben.")
                else:
                    report.error(f"Die Spalte „{column}“ ist mit --indicator und mit --dynamic angegeben. Eine "
                                 "Spalte ist entweder ein Status-Indikator (ein Zustand) oder ein Dynamik-Indikator "
                                 "(eine Veränderung); bitte nur eine der beiden Angaben.")
                continue
            given[column] = option
            out[column] = choice
    report.raise_if_errors("Die Angaben zu den Indikatorspalten sind fehlerhaft")
    if "--dynamic" in given.values():
        for choice in out.values():
            if choice["kind"] == "status":
                choice["in_dynamic"] = False
    return out


def known_definitions(stored: pd.DataFrame, suggestions: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Stored definitions followed by the suggestions not stored yet, and key → origin (``stored``/``suggested``)."""
    extra = suggestions.loc[[k for k in suggestions.index if k not in stored.index]]
    known = pd.concat([stored, extra]) if len(extra) else stored
    origin = {str(k): "stored" for k in stored.index} | {str(k): "suggested" for k in extra.index}
    return known, origin


def is_numeric_column(values: pd.Series) -> bool:
    """True when at least :data:`NUMERIC_SHARE` of the non-blank cells (placeholders count as blank) are numbers.

    Judged on the first :data:`NUMERIC_SAMPLE` non-blank cells: a proposal, not the check (every value of a
    column taken as an indicator is parsed and checked afterwards, naming its row).
    """
    raw = _text(values.iloc[: 4 * NUMERIC_SAMPLE])
    present = raw[_gap_codes(raw).isna()].iloc[:NUMERIC_SAMPLE]
    if present.empty and len(values) > len(raw):
        raw = _text(values)
        present = raw[_gap_codes(raw).isna()].iloc[:NUMERIC_SAMPLE]
    if present.empty:
        return False
    return float(parse_number(present).notna().mean()) >= NUMERIC_SHARE


def _looks_like_id(column: object) -> bool:
    name = _norm(column)
    return name in _INDICATOR_ID_ALIASES or name.endswith(_ID_SUFFIXES)


def propose(
    table: pd.DataFrame, *, roles: Mapping[str, str], known: pd.DataFrame, origin: Mapping[str, str],
    used: Iterable[str],
) -> pd.DataFrame:
    """The proposal per column (:data:`PROPOSAL_COLUMNS`), in file order.

    Parameters
    ----------
    table
        The uploaded table.
    roles
        Indicator key → file column, as matched by key, label or similar name (the counts are left out).
    known, origin
        From :func:`known_definitions`.
    used
        Columns with another role (id, year, counts): never proposed.
    """
    by_column = {column: key for key, column in roles.items() if key in known.index}
    used = set(used) | set(by_column)
    taken = set(known.index)
    rows = []
    for column in table.columns:
        if column in by_column:
            key = by_column[column]
            row = known.loc[key]
            fields = {f: row[f] for f in _FIELDS}
            rows.append({"column": column, "key": key, "indicator": True, **fields, "origin": origin[key]})
        elif column not in used and is_numeric_column(table[column]):
            label = label_from_header(column)
            key = indicator_key(label, taken)
            taken.add(key)
            rows.append({"column": column, "key": key, "indicator": not _looks_like_id(column), "label": label,
                         "unit": guess_unit(column), "direction": 1, **_NEW_FIELDS, "kind": guess_kind(column),
                         "origin": "new"})
    return _typed_proposal(pd.DataFrame(rows, columns=PROPOSAL_COLUMNS))


#: Definition fields of a column proposed new from the file: outside both indices (its kind: :func:`guess_kind`).
_NEW_FIELDS: Final[dict[str, object]] = {"weight": 1.0, "in_index": False, "kind": "status", "in_dynamic": False,
                                         "dynamic_weight": 1.0, "description": ""}


def _typed_proposal(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True)
    for name in ("column", "key", "label", "unit", "description", "origin"):
        out[name] = out[name].fillna("").astype("str")
    out["kind"] = out["kind"].fillna("status").astype("str")
    for name in ("indicator", "in_index", "in_dynamic"):
        out[name] = out[name].astype("bool")
    out["direction"] = out["direction"].astype("int64")
    for name in ("weight", "dynamic_weight"):
        out[name] = out[name].astype("float64")
    return out


def apply_choices(
    proposal: pd.DataFrame, choices: Mapping[str, object] | None, *, columns: Iterable[str], report: Report
) -> pd.DataFrame:
    """The proposal with the planner's choices applied; a wrong choice is an error in ``report``.

    Parameters
    ----------
    proposal
        From :func:`propose`.
    choices
        File column (or a proposed key) → ``False`` (not an indicator), ``True`` (an indicator as proposed) or a
        mapping of :data:`CHOICE_FIELDS` (``indicator`` defaults to true): ``label``, ``unit`` (a key of
        :data:`geo.catalog.UNITS`), ``direction`` (+1/-1), ``in_index`` (bool), ``weight`` (≥ 0), ``kind``
        (``status``/``dynamik`` or their German names, :data:`~geo.analysis.dynamics.KINDS`), ``in_dynamic``
        (bool), ``dynamic_weight`` (≥ 0), ``description``. A column of the file that was not proposed (e.g. a
        text column) can be chosen too. A Dynamik indicator leaves the status index (a warning where it was in
        it); when the upload takes Dynamik indicators, its status indicators leave the Dynamik index unless
        their ``in_dynamic`` was chosen (a warning naming them).
    columns
        The file's columns.
    report
        Collects the findings.
    """
    out = proposal.copy()
    columns = list(columns)
    explicit: set[int] = set()
    for name, choice in (choices or {}).items():
        if isinstance(choice, bool):
            choice = {"indicator": choice}
        if not isinstance(choice, Mapping) or set(choice) - CHOICE_FIELDS:
            raise ValueError(f"choice for {name!r} must be a bool or a mapping of {sorted(CHOICE_FIELDS)}")
        hit = out.index[(out["column"] == name) | (out["key"] == name)]
        if not len(hit):
            if name not in columns:
                report.error(f"Die als Indikator gewählte Spalte „{name}“ gibt es in der Datei nicht. Vorhandene "
                             f"Spalten: {', '.join(f'„{c}“' for c in columns)}.")
                continue
            label = label_from_header(name)
            new = {"column": name, "key": indicator_key(label, set(out["key"])), "indicator": True, "label": label,
                   "unit": guess_unit(name), "direction": 1, **_NEW_FIELDS, "kind": guess_kind(name),
                   "origin": "new"}
            out = _typed_proposal(pd.concat([out, pd.DataFrame([new])], ignore_index=True))
            hit = out.index[-1:]
        fields = {"indicator": True, **choice}
        for field, value in _checked_fields(fields, out.at[hit[0], "column"], report).items():
            out.loc[hit[0], field] = value
        if "in_dynamic" in choice:
            explicit.add(hit[0])
    return _supplied_dynamics(_without_changes_in_status(_typed_proposal(out), report), explicit, report)


def _without_changes_in_status(proposal: pd.DataFrame, report: Report) -> pd.DataFrame:
    """A Dynamik indicator (a change) never enters the status index: ``in_index`` false, said where it was set."""
    out = proposal.copy()
    wrong = out["indicator"] & (out["kind"] == "dynamik") & out["in_index"]
    for i in out.index[wrong]:
        report.warn(f"Spalte „{out.at[i, 'column']}“ ist ein Dynamik-Indikator (eine Veränderung) und geht daher "
                    "nicht in den Statusindex ein, nur in den Dynamikindex.", column=out.at[i, "column"])
    out.loc[wrong, "in_index"] = False
    return out


def _supplied_dynamics(proposal: pd.DataFrame, explicit: set[int], report: Report) -> pd.DataFrame:
    """When the upload brings Dynamik indicators, its status indicators leave the Dynamik index.

    The city supplies its Dynamik; changes computed from two years of the same file's status indicators would
    count the same development twice. Rows whose ``in_dynamic`` the planner chose (``explicit``) keep it.
    """
    taken = proposal["indicator"]
    if not (taken & (proposal["kind"] == "dynamik") & proposal["in_dynamic"]).any():
        return proposal
    out = proposal.copy()
    status = taken & (out["kind"] == "status")
    out.loc[status & ~out.index.isin(list(explicit)), "in_dynamic"] = False
    left_out = status & ~out["in_dynamic"]
    if left_out.any():
        names = ", ".join(f"„{c}“" for c in out.loc[left_out, "column"])
        supplied = ", ".join(out.loc[taken & (out["kind"] == "dynamik") & out["in_dynamic"], "label"])
        report.warn(f"Die Datei liefert Dynamik-Indikatoren ({supplied}). Die Status-Indikatoren der Datei "
                    f"({names}) gehen daher nicht in den Dynamikindex ein; ihre Veränderung wird nicht zusätzlich "
                    "berechnet.")
    return out


def _checked_fields(
    fields: Mapping[str, object], column: str, report: Report, what: str = "Spalte"
) -> dict[str, object]:
    """The choice's fields in their types; wrong values are reported (naming ``what`` and ``column``) and left out."""
    where = {"column": column} if what == "Spalte" else {}
    out: dict[str, object] = {}
    for field, value in fields.items():
        typed, problem = _FIELD_CHECKS[field](value, field)
        if problem:
            report.error(f"{what} „{column}“: {problem}", **where)
        else:
            out[field] = typed
    return out


def _words(value: object) -> str:
    return " ".join(str(value if value is not None else "").split())


def _flag(value: object, field: str) -> tuple[object, str]:
    return bool(value), ""


def _kind(value: object, field: str) -> tuple[object, str]:
    kind = _KIND_NAMES.get(_words(value).casefold())
    if kind is None:
        return None, (f"Die Art „{value}“ ist unbekannt; möglich sind "
                      f"{' oder '.join(f'„{k}“' for k in KINDS.values())}.")
    return kind, ""


def _text_field(value: object, field: str) -> tuple[object, str]:
    text = _words(value)
    if field == "label" and not text:
        return None, "Bitte geben Sie eine Bezeichnung des Indikators an."
    return text, ""


def _unit(value: object, field: str) -> tuple[object, str]:
    unit = "" if value is None else str(value).strip()
    if unit not in catalog.UNITS:
        return None, (f"Die Einheit „{unit}“ ist unbekannt; möglich sind "
                      f"{', '.join(f'„{u}“' for u in catalog.UNITS if u)} oder keine.")
    return unit, ""


def _direction(value: object, field: str) -> tuple[object, str]:
    direction = {"+": 1, "-": -1}.get(str(value).strip(), value)
    try:
        direction = int(direction)
    except (TypeError, ValueError):
        direction = 0
    if direction not in (1, -1):
        return None, "Die Richtung muss +1 (höher = mehr Bedarf) oder -1 (höher = weniger Bedarf) sein."
    return direction, ""


def _weight(value: object, field: str) -> tuple[object, str]:
    weight = pd.to_numeric(pd.Series([str(value).replace(",", ".")]), errors="coerce").iloc[0]
    if not (weight >= 0) or weight > 100:
        name = "Das Gewicht" if field == "weight" else "Das Gewicht im Dynamikindex"
        return None, f"{name} „{value}“ muss eine Zahl zwischen 0 und 100 sein."
    return float(weight), ""


#: Per choice field: value → (typed value, "") or (None, the German problem).
_FIELD_CHECKS = {
    "indicator": _flag, "in_index": _flag, "in_dynamic": _flag, "kind": _kind, "label": _text_field,
    "description": _text_field, "unit": _unit, "direction": _direction, "weight": _weight, "dynamic_weight": _weight,
}


def definitions_after(stored: pd.DataFrame, proposal: pd.DataFrame) -> pd.DataFrame:
    """The full definitions table after the upload: stored ones (updated by the proposal), then the new indicators.

    A stored indicator the file lacks, or that the planner did not take this time, keeps its definition.
    """
    taken = proposal[proposal["indicator"]].set_index("key")
    fields = list(_FIELDS)
    out = stored[fields].copy()
    for key, row in taken.iterrows():
        out.loc[key, fields] = [row[f] for f in fields]
    return catalog.definitions_from_table(out.rename_axis("key").reset_index())


def edit_definitions(stored: pd.DataFrame, edited: pd.DataFrame) -> tuple[pd.DataFrame, Report]:
    """Check a planner's edit of the stored definitions (the page's table): the new definitions and a report.

    Parameters
    ----------
    stored
        The definitions in use, indexed by key.
    edited
        Indexed by key (a subset of ``stored``'s keys: a key left out is removed), with any of the columns
        ``label``, ``unit``, ``direction``, ``in_index``, ``weight``, ``kind``, ``in_dynamic``,
        ``dynamic_weight``, ``description``. A Dynamik indicator (kind ``dynamik``) in the status index is an
        error.

    Returns
    -------
    (pandas.DataFrame, Report)
        The definitions to store (indexed by key, in ``stored`` order), and every problem named by the
        indicator's label. With errors the definitions are ``stored`` unchanged.
    """
    report = Report()
    unknown = [str(k) for k in edited.index if k not in stored.index]
    if unknown:
        raise ValueError(f"unknown indicator keys {unknown}")
    out = stored.loc[[k for k in stored.index if k in edited.index]].copy()
    for key, row in edited.iterrows():
        fields = {f: row[f] for f in CHOICE_FIELDS - {"indicator"} if f in edited.columns}
        for field, value in _checked_fields(fields, str(stored.at[key, "label"]), report, "Indikator").items():
            out.at[key, field] = value
        if out.at[key, "kind"] == "dynamik" and bool(out.at[key, "in_index"]):
            report.error(f"Indikator „{out.at[key, 'label']}“: Ein Dynamik-Indikator (eine Veränderung) geht nicht "
                         "in den Statusindex ein. Bitte „im Index“ ausschalten oder die Art „Status-Indikator“ "
                         "wählen.")
    if not report.ok:
        return stored, report
    return catalog.definitions_from_table(out.rename_axis("key").reset_index()), report


def commit_definitions(
    workspace, definitions: pd.DataFrame, *, base_versions: Mapping[str, int | None], comment: str = "",
    filename: str = "Seite Indikatoren",
):
    """Store edited definitions (from :func:`edit_definitions`) as a new version of the ``definitions`` layer.

    ``base_versions`` are the versions the planner edited (at least ``definitions``); if another session stored
    definitions in between, :class:`~geo._errors.VersionConflict` is raised and nothing is written.

    Returns
    -------
    geo.store.VersionInfo
    """
    return workspace.save("definitions", catalog.definitions_table(definitions), filename=filename,
                          comment=comment, base_versions=base_versions)
