"""The one exception type for problems in the user's data, carrying a German message for the UI."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One finding about an input file.

    Parameters
    ----------
    message
        German text for the planner.
    row
        Row number as Excel shows it (header = row 1), or ``None`` for file-level findings.
    column
        Column the finding concerns, if any.
    severity
        ``"error"`` (the file cannot be stored) or ``"warning"`` (it can, but look at this).
    """

    message: str
    row: int | None = None
    column: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"Zeile {self.row}: " if self.row is not None else ""
        return f"{where}{self.message}"


class DataError(ValueError):
    """A user's data cannot be used; ``str(err)`` is a German message ready for the UI.

    ``problems`` holds every finding when a validation collected several.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])


@dataclass
class Report:
    """All findings about one file, errors and warnings apart."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(message, row, column, "error"))

    def warn(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(message, row, column, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_if_errors(self, title: str = "Die Datei kann nicht übernommen werden") -> None:
        """Raise one :class:`DataError` listing every error at once."""
        if self.errors:
            lines = "\n".join(f"- {p}" for p in self.errors)
            raise DataError(f"{title}:\n{lines}", self.errors)


class VersionConflict(DataError):
    """A confirmed change was checked against stored versions that are no longer active; nothing was written.

    ``changed`` maps each layer label whose active version moved to ``(checked_against, now_active)``;
    ``None`` stands for "no stored version" (the layer was missing).
    """

    def __init__(self, changed: dict[str, tuple[int | None, int | None]], advice: str):
        self.changed = dict(changed)
        states = "; ".join(
            f"{label}: {_version_text(now)} statt {_version_text(seen, short=now is not None)}"
            for label, (seen, now) in self.changed.items()
        )
        super().__init__(f"Die Daten wurden inzwischen geändert ({states}). {advice}")


def _version_text(version: int | None, *, short: bool = False) -> str:
    if version is None:
        return "keine Daten"
    return str(version) if short else f"Version {version}"


def log_incident(logger: logging.Logger, err: BaseException, what: str) -> str:
    """Log an unexpected exception with its traceback under a new short incident id (``F-3a9c01be``).

    The id goes into the German message the user sees, the traceback only into the log: a user never sees
    server paths or code, and whoever reads the log finds the case by the number the user quotes.
    """
    incident = f"F-{secrets.token_hex(4)}"
    logger.error("Fehler-Nr. %s: unerwarteter Fehler %s", incident, what, exc_info=(type(err), err, err.__traceback__))
    return incident
