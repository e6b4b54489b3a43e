"""Check one scenario edit typed by a planner (add, move, close an offer, change a capacity) before it is stored.

The planner types text: an offer type, a name, coordinates as longitude/latitude or Rechtswert/Hochwert (the
system is guessed from the values, :func:`geo.crs.guess_point_crs`, or given), a capacity with a decimal comma.
:func:`check_edit` reports every problem at once in German (:class:`geo._errors.Report`, the field as ``column``)
and, when there is none, returns the scenario's edits with the new one appended (coordinates metric).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._errors import Report
from geo.analysis.scenarios import (
    ACTIONS,
    add_note,
    add_offer,
    apply_edits,
    close_offer,
    empty_edits,
    move_offer,
    set_capacity,
)
from geo.crs import guess_point_crs, parse_crs, transform_xy
from geo.dataset import Dataset
from geo.formatting import format_distance
from geo.io import parse_number

#: Field → German label, as the page names its inputs (``Problem.column``).
FIELDS: dict[str, str] = {
    "action": "Änderung", settings.OFFER_TYPE: "Angebotsart", settings.OFFER_ID: "Angebot",
    settings.OFFER_NAME: "Name", settings.OFFER_ADDRESS: "Adresse", "x": "Rechtswert / Länge",
    "y": "Hochwert / Breite", "crs": "Koordinatensystem", settings.OFFER_CAPACITY: "Kapazität", "note": "Annahme",
}
#: Longest name, address or note accepted (characters).
MAX_TEXT_LENGTH = 200
MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True)
class EditCheck:
    """The outcome of :func:`check_edit`.

    Attributes
    ----------
    report
        Every problem found (errors and warnings, ``column`` = the field's label of :data:`FIELDS`).
    edits
        The scenario's edits with the checked one appended, or ``None`` when there are errors.
    crs
        The coordinate system the typed coordinates were read in ("" when none were typed).
    """

    report: Report
    edits: pd.DataFrame | None
    crs: str = ""

    @property
    def ok(self) -> bool:
        """No errors: the edit can be stored."""
        return self.report.ok


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _one_number(value: object) -> float:
    """A typed number ("12,5", "1.234", 7.5) as float; NaN where it is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return float("nan")
    return float(parse_number(pd.Series([value], dtype=object).astype(str) if isinstance(value, str)
                              else pd.Series([value], dtype=float)).iloc[0])


def _check_text(report: Report, field: str, value: str, *, required: bool, limit: int = MAX_TEXT_LENGTH) -> None:
    label = FIELDS[field]
    if required and not value:
        report.error("Bitte beschreiben Sie die Annahme." if field == "note" else "Bitte geben Sie einen Namen an.",
                     None, label)
    if len(value) > limit:
        report.error(f"{label} ist {len(value)} Zeichen lang; erlaubt sind höchstens {limit}.", None, label)
    if any(ord(c) < 32 and c not in "\t" for c in value) and field != "note":
        report.error(f"{label} enthält Steuerzeichen (z. B. einen Zeilenumbruch); bitte in einer Zeile eingeben.",
                     None, label)


def _check_type(report: Report, dataset: Dataset, offer_type: str) -> None:
    label = FIELDS[settings.OFFER_TYPE]
    types = dataset.offer_types
    if not offer_type:
        report.error("Bitte wählen Sie die Angebotsart.", None, label)
    elif offer_type not in types.index:
        allowed = ", ".join(f"{t} ({types.at[t, 'label']})" for t in types.index)
        report.error(f"Die Angebotsart „{offer_type}“ gibt es nicht. Möglich sind: {allowed}.", None, label)
    elif not bool(types.at[offer_type, "analysed"]):
        report.warn(f"{dataset.type_labels(offer_type).plural} sind Kontext (z. B. Orte für ein Angebot): ihre "
                    "Reichweite wird nicht ausgewertet.", None, label)


def _point(report: Report, dataset: Dataset, x: object, y: object, source: object) -> tuple[float, float, str]:
    """The typed coordinates in the metric CRS (NaN on errors) and the system they were read in."""
    lx, ly = FIELDS["x"], FIELDS["y"]
    vx, vy = _one_number(x), _one_number(y)
    for value, raw, label in ((vx, x, lx), (vy, y, ly)):
        if not np.isfinite(value):
            typed = _text(raw)
            report.error(f"„{typed}“ ist keine Zahl." if typed else "Bitte geben Sie die Koordinaten an.", None, label)
    if not (np.isfinite(vx) and np.isfinite(vy)):
        return float("nan"), float("nan"), ""
    if _text(source):
        try:
            code = parse_crs(source).to_string()
        except Exception:  # noqa: BLE001 - any unreadable system is the planner's input, said in German
            report.error(f"Das Koordinatensystem „{_text(source)}“ ist unbekannt (z. B. EPSG:25832 oder "
                         "EPSG:4326).", None, FIELDS["crs"])
            return float("nan"), float("nan"), ""
    else:
        guess = guess_point_crs(np.array([vx]), np.array([vy]))
        if guess.crs is None or guess.swapped:
            why = (f"{guess.reason}: bitte zuerst Rechtswert bzw. Länge, dann Hochwert bzw. Breite eingeben"
                   if guess.swapped else "Die Werte passen zu keinem bekannten Koordinatensystem: bitte Länge/Breite "
                   "(z. B. 7,2160 / 51,4818) oder Rechts-/Hochwert in UTM 32N (z. B. 373500 / 5705000) eingeben")
            report.error(f"{why}.", None, lx)
            return float("nan"), float("nan"), ""
        code = guess.crs
    mx, my = transform_xy(np.array([vx]), np.array([vy]), code)
    if not (np.isfinite(mx[0]) and np.isfinite(my[0])):
        report.error(f"Die Koordinaten lassen sich aus {code} nicht umrechnen.", None, lx)
        return float("nan"), float("nan"), code
    _check_inside(report, dataset, float(mx[0]), float(my[0]))
    return float(mx[0]), float(my[0]), code


def _check_inside(report: Report, dataset: Dataset, mx: float, my: float) -> None:
    districts = dataset.districts
    if districts is None or not len(districts):
        return
    from geo.crs import to_metric

    area = shapely.union_all(to_metric(districts, name="Sozialräume").geometry.to_numpy())
    distance = float(shapely.distance(area, shapely.Point(mx, my)))
    limit = settings.MAX_DISTANCE_OUTSIDE_M
    if distance > limit:
        report.error(f"Der Standort liegt etwa {format_distance(distance)} außerhalb des Stadtgebiets (erlaubt sind "
                     f"höchstens {format_distance(limit)}). Bitte prüfen Sie die Koordinaten.", None, FIELDS["x"])
    elif distance > 0:
        report.warn(f"Der Standort liegt etwa {format_distance(distance)} außerhalb des Stadtgebiets. Bitte prüfen "
                    "Sie, ob er so gemeint ist.", None, FIELDS["x"])


def _capacity(report: Report, value: object, *, required: bool) -> float:
    label = FIELDS[settings.OFFER_CAPACITY]
    number = _one_number(value)
    if not np.isfinite(number):
        if required or _text(value):
            typed = _text(value)
            report.error(f"„{typed}“ ist keine Zahl." if typed else "Bitte geben Sie die neue Kapazität an.",
                         None, label)
        return float("nan")
    if number < 0:
        report.error("Die Kapazität kann nicht negativ sein.", None, label)
    return number


def _check_target(report: Report, dataset: Dataset, edits: pd.DataFrame, offer_id: str) -> None:
    """The offer a move/close/capacity names must exist in the scenario as the edits so far leave it."""
    label = FIELDS[settings.OFFER_ID]
    if not offer_id:
        report.error("Bitte wählen Sie das Angebot.", None, label)
        return
    offers, _ = apply_edits(dataset.offers, edits)
    if offer_id not in set(offers[settings.OFFER_ID].astype("str")):
        closed = offer_id in set(dataset.offers[settings.OFFER_ID].astype("str")) | set(
            edits[settings.OFFER_ID].astype("str"))
        report.error(f"Das Angebot „{offer_id}“ ist in diesem Szenario bereits geschlossen." if closed else
                     f"Ein Angebot „{offer_id}“ gibt es nicht.", None, label)


def check_edit(
    dataset: Dataset, action: str, *, edits: pd.DataFrame | None = None, offer_type: object = "",
    offer_id: object = "", name: object = "", address: object = "", x: object = None, y: object = None,
    crs: object = None, capacity: object = None, note: object = "",
) -> EditCheck:
    """Check one typed edit of a scenario; every problem at once.

    Parameters
    ----------
    dataset
        The status quo (its offers, offer types and districts).
    action
        A key of :data:`geo.analysis.scenarios.ACTIONS`.
    edits
        The scenario's edits so far (an offer added there can be moved; one closed there cannot be edited).
    offer_type, name, address
        Of an added offer (name required; the type exists in ``dataset.offer_types``, analysed or context).
    offer_id
        The offer a move, close or capacity change concerns.
    x, y, crs
        Where an added or moved offer lies: longitude/latitude or Rechtswert/Hochwert as typed ("7,216" or 7.216);
        ``crs`` when the values alone do not tell.
    capacity
        A number ≥ 0 (decimal comma accepted): required for a capacity change, optional when adding.
    note
        An assumption (a ``note`` edit requires it) or a comment on the edit.
    """
    report = Report()
    edits = empty_edits() if edits is None else edits
    action = _text(action)
    texts = {"type": _text(offer_type), "id": _text(offer_id), "name": _text(name), "address": _text(address),
             "note": _text(note)}
    if action not in ACTIONS:
        report.error(f"Unbekannte Änderung „{action}“; möglich: {', '.join(ACTIONS.values())}.", None,
                     FIELDS["action"])
        return EditCheck(report, None)
    _check_text(report, "note", texts["note"], required=action == "note", limit=MAX_NOTE_LENGTH)
    mx = my = float("nan")
    code, number = "", float("nan")
    if action == "add":
        _check_type(report, dataset, texts["type"])
        _check_text(report, settings.OFFER_NAME, texts["name"], required=True)
        _check_text(report, settings.OFFER_ADDRESS, texts["address"], required=False)
        number = _capacity(report, capacity, required=False)
    if action in ("move", "close", "capacity"):
        _check_target(report, dataset, edits, texts["id"])
    if action in ("add", "move"):
        mx, my, code = _point(report, dataset, x, y, crs)
    if action == "capacity":
        number = _capacity(report, capacity, required=True)
    if not report.ok:
        return EditCheck(report, None, code)
    offers = dataset.offers
    if action == "add":
        out = add_offer(edits, offers, offer_type=texts["type"], name=texts["name"], address=texts["address"],
                        capacity=None if not np.isfinite(number) else number, x=mx, y=my, note=texts["note"])
    elif action == "move":
        out = move_offer(edits, offers, texts["id"], x=mx, y=my, note=texts["note"])
    elif action == "close":
        out = close_offer(edits, offers, texts["id"], note=texts["note"])
    elif action == "capacity":
        out = set_capacity(edits, offers, texts["id"], number, note=texts["note"])
    else:
        out = add_note(edits, texts["note"])
    return EditCheck(report, out, code)
