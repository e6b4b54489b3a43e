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
    people = shared(result)
    return people.genitive if people is not None else "der Zielgruppe"
