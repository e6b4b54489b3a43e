"""How every view words one offer type's reach: its target group and its reach model in force."""

from __future__ import annotations

from geo.analysis import Population, Result
from geo.formatting import format_distance


def target(result: Result, offer_type: str) -> Population:
    """Whom ``offer_type``'s reach is measured for (its target group; the result's population when unknown)."""
    return result.targets.get(offer_type, result.population)


def within(result: Result, offer_type: str, short: str) -> str:
    """"im Umkreis von 1 km um ein FGZ" (radius model), else "mit FGZ in Reichweite (zugeordnete Grundschule …)"."""
    model = result.reach_models.get(offer_type)
    if model is None or model.kind == "radius":
        return f"im Umkreis von {format_distance(result.radii[offer_type])} um ein {short}"
    return f"mit {short} in Reichweite ({model.description})"


def short_note(result: Result, offer_type: str, short: str) -> str:
    """"FGZ 800 m" (radius model), else "FGZ: zugeordnete Grundschule (nächste; …)"."""
    model = result.reach_models.get(offer_type)
    if model is None or model.kind == "radius":
        return f"{short} {format_distance(result.radii[offer_type])}"
    return f"{short}: {model.description}"


#: Whom the texts name where offer types are measured for different target groups ("der Zielgruppe").
TARGET_GROUP = Population(
    column="target", plural="Zielgruppe", dative="Zielgruppe", short="Zielgruppe", heading="Zielgruppe",
    description="Zielgruppe der Angebotsart (z. B. Kinder von 6 bis unter 10 Jahren beim FGZ)",
    counts="Zielgruppenzahlen",
)


def group(result: Result) -> Population:
    """The one population every type is measured for, else :data:`TARGET_GROUP`."""
    return shared(result) or TARGET_GROUP


def model_short(result: Result, offer_type: str) -> str:
    """The reach model in a table cell: "1 km" (radius), "zugeordnete Einrichtung", "Zuständigkeitsgebiet"."""
    model = result.reach_models.get(offer_type)
    if model is None or model.kind == "radius":
        return format_distance(result.radii[offer_type])
    return {"zuordnung": "zugeordnete Einrichtung", "gebiet": "Zuständigkeitsgebiet"}.get(model.kind, model.kind)


def shared(result: Result) -> Population | None:
    """The one population every analysed type is measured for (an explicit choice), or ``None`` (target groups)."""
    groups = {target(result, t) for t in result.offer_types}
    return groups.pop() if len(groups) == 1 else None


def in_reach_heading(result: Result) -> str:
    """"Kinder in Reichweite (Luftlinie)" for one population and radii only, else "Zielgruppe in Reichweite"."""
    people = shared(result)
    if people is None:
        return "Zielgruppe in Reichweite"
    radii_only = all(m.kind == "radius" for m in result.reach_models.values())
    return people.in_reach + (" (Luftlinie)" if radii_only else "")


def group_genitive(result: Result) -> str:
    """"der Kinder" for one population, else "der Zielgruppe" (each type for its own target group)."""
    return group(result).genitive


def straight_line(result: Result) -> str:
    """" (Luftlinie)" when every type is measured by radius, else ""."""
    return " (Luftlinie)" if all(m.kind == "radius" for m in result.reach_models.values()) else ""
