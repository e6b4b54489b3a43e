"""The data folder: several workspaces side by side (a city, the towns of a Kreis, a test copy) and the demo.

Layout of :data:`geo.settings.DATA_ROOT`::

    <DATA_ROOT>/
        standard.txt            folder name of the default workspace ("demo" or e.g. "bochum")
        bochum/arbeitsbereich.sqlite
        bochum-test/arbeitsbereich.sqlite
        kachel-cache/           (map tiles, not a workspace)

A workspace is referred to by its folder name (``bochum``), by the municipality's name it was created with
("Bochum"), or by a path to its folder. ``demo`` is the built-in Musterstadt: read-only, read from the
repository's ``data/demo`` folder, never mixed into a city workspace.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pandas as pd

from geo import settings
from geo._errors import DataError
from geo.dataset import Dataset
from geo.store.listing import history_table, log_table
from geo.store.payload import VersionInfo
from geo.store.workspace import DB_NAME, Workspace

#: Reference of the built-in demo workspace.
DEMO: Final[str] = "demo"
DEMO_TITLE: Final[str] = "Musterstadt (Demo)"
#: File in the data folder naming the default workspace.
DEFAULT_FILE: Final[str] = "standard.txt"
#: Most characters of a workspace's name (the municipality, e.g. "Stadt Castrop-Rauxel – Testkopie").
MAX_NAME_CHARS: Final[int] = 80
_AGS = re.compile(r"\d{8}|\d{5}|\d{2,3}")  # Gemeinde (8), Kreis (5), Land/Regierungsbezirk (2/3)
_READ_ONLY = (
    "Die Demo Musterstadt ist schreibgeschützt. Legen Sie auf der Seite „Daten“ eine eigene Stadt an "
    "(oder eine Übungskopie der Demo) und laden Sie dort hoch."
)


class DemoWorkspace:
    """The built-in demo Musterstadt as a read-only workspace: same reading interface as :class:`Workspace`."""

    read_only = True
    path = None
    name = "Musterstadt"

    def __repr__(self) -> str:
        return "DemoWorkspace()"

    @property
    def ref(self) -> str:
        """``"demo"``."""
        return DEMO

    def dataset(self) -> Dataset:
        """The demo data set (synthetic, stamped)."""
        from geo.demo import load_demo

        return load_demo()

    def meta(self) -> dict[str, str]:
        """Name and origin of the demo."""
        return {"name": self.name, "origin": "demo"}

    def active_versions(self) -> dict[str, VersionInfo]:
        """None: the demo has no stored versions."""
        return {}

    def history(self, layer: str | None = None) -> pd.DataFrame:
        """An empty history table (the demo is never written)."""
        return history_table([], {})

    def log(self, layer: str | None = None) -> pd.DataFrame:
        """An empty action log."""
        return log_table([])

    def _refuse(self, *args, **kwargs):
        raise DataError(_READ_ONLY)

    save = restore = reset = set_meta = _refuse


@dataclass(frozen=True)
class Entry:
    """One workspace of the data folder as listed to the planner."""

    ref: str  # "demo", a folder name in the data folder, or a path for a workspace elsewhere
    name: str  # "Musterstadt (Demo)", "Bochum"
    ags: str = ""
    origin: str = "city"  # demo | city | demo-copy
    default: bool = False

    @property
    def label(self) -> str:
        """What a selector shows: the name, the AGS and whether it is a practice copy."""
        extra = [f"AGS {self.ags}"] if self.ags else []
        if self.origin == "demo-copy":
            extra.append("Übungskopie")
        return self.name + (f" ({', '.join(extra)})" if extra else "")


def _root(root: Path | str | None) -> Path:
    return Path(settings.DATA_ROOT if root is None else root).expanduser()


def slug(name: str) -> str:
    """Folder name for a workspace name: ``"Castrop-Rauxel Übung"`` → ``"castrop-rauxel-uebung"``."""
    text = str(name).strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-")


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / DB_NAME).is_file())


def list_workspaces(root: Path | str | None = None) -> list[Entry]:
    """The demo first, then every workspace in the data folder by name; the default one is marked.

    A workspace of an older version stored directly in the data folder (``<DATA_ROOT>/arbeitsbereich.sqlite``)
    is listed too, as "Arbeitsbereich (bisher)", so nothing stored before is lost from view.
    """
    root = _root(root)
    default = default_ref(root)
    entries = [Entry(DEMO, DEMO_TITLE, origin="demo", default=default == DEMO)]
    found = []
    for folder in _folders(root):
        try:
            meta = Workspace(folder).meta()
        except DataError:  # a broken file is listed (opening it names the problem), never hides the others
            meta = {"name": f"{folder.name} (nicht lesbar)"}
        found.append(Entry(folder.name, meta.get("name") or folder.name, meta.get("ags", ""),
                           meta.get("origin", "city"), default == folder.name))
    if (root / DB_NAME).is_file():
        found.append(Entry(str(root), "Arbeitsbereich (bisher)", default=default == str(root)))
    return entries + sorted(found, key=lambda e: e.name.casefold())


def default_ref(root: Path | str | None = None) -> str:
    """The workspace opened when none is chosen.

    :data:`geo.settings.DEFAULT_WORKSPACE` (``PRAEVENTIONSATLAS_WORKSPACE``) if set, else the data folder's
    ``standard.txt`` when it names an existing workspace, else ``"demo"``.
    """
    if settings.DEFAULT_WORKSPACE:
        return settings.DEFAULT_WORKSPACE
    root = _root(root)
    try:
        ref = (root / DEFAULT_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return DEMO
    if ref == DEMO or (root / ref / DB_NAME).is_file() or (Path(ref) / DB_NAME).is_file():
        return ref
    return DEMO


def set_default(ref: str, root: Path | str | None = None) -> None:
    """Make ``ref`` (``"demo"`` or a workspace's folder name) the default; written atomically."""
    root = _root(root)
    workspace = open_workspace(ref, root)
    value = DEMO if workspace.read_only else (workspace.path.name if workspace.path.parent == root
                                                else str(workspace.path))
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".standard-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        os.replace(tmp, root / DEFAULT_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _find(ref: str, root: Path) -> Path | None:
    """The folder of the workspace ``ref`` names (folder name, path, or the name it was created with)."""
    text = str(ref).strip()
    if not text:
        return None
    if (root / text / DB_NAME).is_file():
        return root / text
    path = Path(text).expanduser()
    if (path / DB_NAME).is_file() or (os.sep in text and path.is_dir()):
        return path
    by_slug = slug(text)
    if by_slug and (root / by_slug / DB_NAME).is_file():
        return root / by_slug
    for folder in _folders(root):
        try:
            name = Workspace(folder).meta().get("name", "")
        except DataError:
            continue
        if name.casefold() == text.casefold():
            return folder
    return None


def open_workspace(ref: str | Path | None = None, root: Path | str | None = None) -> Workspace | DemoWorkspace:
    """The workspace ``ref`` names (default: :func:`default_ref`).

    Raises
    ------
    DataError
        No workspace of that name or folder exists; the message lists those that do.
    """
    root = _root(root)
    ref = default_ref(root) if ref is None else str(ref)
    if ref.strip().casefold() in (DEMO, "musterstadt"):
        return DemoWorkspace()
    folder = _find(ref, root)
    if folder is None:
        names = ", ".join(e.ref for e in list_workspaces(root))
        raise DataError(f"Einen Arbeitsbereich „{ref}“ gibt es nicht. Vorhanden: {names}. Neu anlegen mit "
                        "„python -m geo workspace create NAME“ oder auf der Seite „Daten“.")
    return Workspace(folder)


def check_name(name: str, ags: str | None = None) -> list[str]:
    """German problems with a new workspace's name and AGS (empty: fine)."""
    problems = []
    text = str(name).strip()
    if not text:
        problems.append("Bitte geben Sie den Namen der Stadt, Gemeinde oder des Kreises an.")
    elif len(text) > MAX_NAME_CHARS:
        problems.append(f"Der Name ist zu lang (höchstens {MAX_NAME_CHARS} Zeichen).")
    elif not slug(text):
        problems.append("Der Name braucht mindestens einen Buchstaben oder eine Ziffer.")
    elif slug(text) in (DEMO, "musterstadt"):
        problems.append(f"„{text}“ ist der Name der eingebauten Demo. Bitte wählen Sie einen anderen Namen.")
    if ags and not _AGS.fullmatch(str(ags).strip()):
        problems.append(f"„{ags}“ ist kein Amtlicher Gemeindeschlüssel (8 Ziffern, für Kreise 5).")
    return problems


def create_workspace(
    name: str, *, ags: str | None = None, root: Path | str | None = None, demo_copy: bool = False,
    make_default: bool | None = None,
) -> Workspace:
    """Create an empty workspace for a municipality (or a practice copy of the demo) in the data folder.

    Parameters
    ----------
    name
        The municipality's (or Kreis') name; the folder is its :func:`slug`, made unique with ``-2``, ``-3`` ….
    ags
        Amtlicher Gemeindeschlüssel, optional.
    demo_copy
        Store the demo's layers as version 1 of each layer: a practice copy that keeps the synthetic stamp.
    make_default
        Make it the default workspace; by default a city's (not a practice copy's) while the default is still
        the demo, so that the first own city is what the app and the command line open.

    Raises
    ------
    DataError
        Name or AGS are not usable (all problems in one message).
    """
    problems = check_name(name, ags)
    if problems:
        raise DataError(" ".join(problems))
    root = _root(root)
    base = slug(name)
    folder, n = root / base, 1
    while folder.exists():
        n += 1
        folder = root / f"{base}-{n}"
    workspace = Workspace(folder)
    meta = {"name": str(name).strip(), "origin": "demo-copy" if demo_copy else "city",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if ags:
        meta["ags"] = str(ags).strip()
    workspace.set_meta(**meta)
    if demo_copy:
        _copy_demo_into(workspace)
    first_city = not demo_copy and default_ref(root) == DEMO and not settings.DEFAULT_WORKSPACE
    if make_default or (make_default is None and first_city):
        set_default(folder.name, root)
    return workspace


def _copy_demo_into(workspace: Workspace) -> None:
    from geo import catalog
    from geo.demo import load_demo

    demo = load_demo()
    layers = ("districts", "residents", "offers", "indicators", "sozialindex")
    frames = {layer: getattr(demo, layer) for layer in layers}
    frames["definitions"] = catalog.definitions_table(demo.indicator_definitions)
    workspace.save_many(frames, filename="Demo Musterstadt (Kopie)", comment="Übungskopie der eingebauten Demo")
