"""Whom reach is measured for: children, else inhabitants, or a count column – and the German words for them.

Children where the indicator table has children counts for the year, else all inhabitants, or any count
column the user picks (an indicator whose unit is "Anzahl").
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo import settings
from geo._errors import DataError

#: Unit (indicator definition ``unit``) of a count column that may serve as the population.
COUNT_UNIT = "Anzahl"


@dataclass(frozen=True)
class Population:
    """Whom reach is measured for, and how the texts name them.

    Attributes
    ----------
    column
        Count column of the indicator table (and, where present, of the residents layer): ``children``,
        ``inhabitants`` or an indicator key with unit "Anzahl".
    plural
        "Kinder" – as in "Kinder in Reichweite", "alle Kinder wohnen …".
    dative
        "Kindern" – as in "Wohnorte von Kindern", "bei weniger als 3 Kindern".
    short
        One word for narrow table headers ("Kinder", "Einwohner").
    heading
        Column heading of the count in tables ("Kinder 0–17").
    description
        One line for table explanations and help texts ("Kinder und Jugendliche von 0 bis 17 Jahren").
    counts
        What the residents layer lacks when it has no such column ("Kinderzahlen").
    note
        Shown in every view where the population is not the children ("" for children), or where a target
        group's counts are estimated ("… geschätzt: 4/18 der Kinder 0–17, …").
    source
        Where a target group's counts come from ("Indikatorentabelle, Spalte „age_6_10“", the estimate), and
        after :func:`geo.analysis.run.analyse` also where they live; "" for the sidebar's populations.
    """

    column: str
    plural: str
    dative: str
    short: str
    heading: str
    description: str
    counts: str
    note: str = ""
    source: str = ""

    @property
    def genitive(self) -> str:
        """The genitive, "der Kinder" – as in "62 % der Kinder", "Medianweg der Kinder"."""
        return f"der {self.plural}"

    @property
    def in_reach(self) -> str:
        """The phrase "Kinder in Reichweite"."""
        return f"{self.plural} in Reichweite"

    @property
    def is_children(self) -> bool:
        """True when reach is measured for the children (the texts read as they always have)."""
        return self.column == settings.CHILDREN


_NO_CHILDREN = "die Indikatortabelle enthält keine Kinderzahlen"
_CHOSEN = "so gewählt statt der Kinderzahlen"

CHILDREN = Population(
    column=settings.CHILDREN, plural="Kinder", dative="Kindern", short="Kinder", heading="Kinder 0–17",
    description="Kinder und Jugendliche von 0 bis 17 Jahren", counts="Kinderzahlen",
)


def inhabitants(*, children_exist: bool = False) -> Population:
    """All inhabitants; the note says why they are used (no children counts, or the user's choice)."""
    return Population(
        column=settings.INHABITANTS, plural="Einwohnerinnen und Einwohner", dative="Einwohnerinnen und Einwohnern",
        short="Einwohner", heading="Einwohnerinnen und Einwohner",
        description="Einwohnerinnen und Einwohner aller Altersgruppen",
        counts="Einwohnerzahlen",
        note="Reichweite gemessen an allen Einwohnerinnen und Einwohnern – "
        + (_CHOSEN if children_exist else _NO_CHILDREN),
    )


def counted(key: str, label: str, *, children_exist: bool = False) -> Population:
    """A count column of the indicator table (``key``, shown as ``label``) as the population."""
    people = f"Personen ({label})"
    return Population(
        column=key, plural=people, dative=people, short=label, heading=label, description=f"{label} (Anzahl)",
        counts=f"Werte „{label}“",
        note=f"Reichweite gemessen an „{label}“ – " + (_CHOSEN if children_exist else _NO_CHILDREN),
    )


def shown_counts(population: Population) -> list[Population]:
    """Count columns tables and tooltips show beside the inhabitants: the children, and a picked count column.

    A caller leaves out those the districts lack or hold no value for (no children counts).
    """
    if population.column in (settings.CHILDREN, settings.INHABITANTS):
        return [CHILDREN]
    return [CHILDREN, population]


def _has_values(table: pd.DataFrame, name: str) -> bool:
    return name in table.columns and bool(pd.to_numeric(table[name], errors="coerce").notna().any())


def choices(table: pd.DataFrame, definitions: pd.DataFrame) -> list[Population]:
    """Every population ``table`` (one year of the indicator table) has counts for, the default first.

    Children, then inhabitants, then each indicator whose definition's unit is "Anzahl".
    """
    children_exist = _has_values(table, settings.CHILDREN)
    out = [CHILDREN] if children_exist else []
    if _has_values(table, settings.INHABITANTS):
        out.append(inhabitants(children_exist=children_exist))
    units = definitions["unit"].astype(str).str.strip() if "unit" in definitions else pd.Series(dtype=str)
    for key in units.index[units == COUNT_UNIT]:
        if key not in (settings.CHILDREN, settings.INHABITANTS) and _has_values(table, key):
            out.append(counted(str(key), str(definitions.at[key, "label"]), children_exist=children_exist))
    return out


def choose(table: pd.DataFrame, definitions: pd.DataFrame, *, requested: str | None = None) -> Population:
    """The population for one year's indicator ``table``: ``requested`` (a column name) or the default.

    Raises
    ------
    DataError
        If the table has no counts at all, or none in the requested column.
    """
    options = choices(table, definitions)
    if requested is not None:
        for p in options:
            if p.column == requested:
                return p
        raise DataError(
            f"Die Spalte „{requested}“ enthält für dieses Jahr keine Personenzahlen (Einheit „{COUNT_UNIT}“). "
            "Bitte wählen Sie in der Seitenleiste Kinder oder Einwohnerinnen und Einwohner."
        )
    if not options:
        raise DataError(
            "Die Indikatortabelle enthält für dieses Jahr weder Kinder- noch Einwohnerzahlen; die Reichweite "
            "lässt sich ohne Personenzahlen nicht messen. Bitte laden Sie die Indikatoren mit einer Spalte "
            "„Einwohner“ oder „Kinder“ erneut über die Seite „Daten“ hoch."
        )
    return options[0]
