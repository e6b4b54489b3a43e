"""The persistent, versioned workspace: every confirmed upload becomes a new version of its layer in one SQLite file."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pandas as pd

from geo import settings
from geo._errors import DataError, VersionConflict
from geo.dataset import Dataset
from geo.store.listing import history_table, log_table
from geo.store.payload import (
    FORMATS,
    GEO_LAYERS,
    LAYER_LABELS,
    LAYERS,
    VersionInfo,
    check_layer,
    checksum,
    deserialize,
    serialize,
    split,
    verified,
)
from geo.store.versions import dataset_with_versions

#: File name of the workspace database inside the workspace folder.
DB_NAME: Final[str] = "arbeitsbereich.sqlite"
#: Seconds a write waits for another session's write before giving up with a :class:`DataError`.
BUSY_TIMEOUT_S: Final[float] = 10.0

# "PRAE": marks the SQLite file as ours, so a foreign database (e.g. a GeoPackage) is never written to.
_APPLICATION_ID: Final[int] = 0x50524145
_SCHEMA_VERSION: Final[int] = 2  # 2: table meta (name, AGS, origin)
_SQLITE_MAGIC: Final[bytes] = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    layer      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    created_at TEXT    NOT NULL,  -- ISO 8601, UTC
    filename   TEXT    NOT NULL,
    n_rows     INTEGER NOT NULL,
    sha256     TEXT    NOT NULL,  -- of the serialized payload
    n_bytes    INTEGER NOT NULL,
    format     TEXT    NOT NULL,
    comment    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (layer, version)
);
CREATE TABLE IF NOT EXISTS payload (
    layer   TEXT    NOT NULL,
    version INTEGER NOT NULL,
    part    INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    PRIMARY KEY (layer, version, part),
    FOREIGN KEY (layer, version) REFERENCES versions (layer, version)
);
CREATE TABLE IF NOT EXISTS active (
    layer   TEXT    PRIMARY KEY,
    version INTEGER NOT NULL,
    FOREIGN KEY (layer, version) REFERENCES versions (layer, version)
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,  -- name | ags | origin | created_at
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    layer   TEXT    NOT NULL,
    action  TEXT    NOT NULL,  -- save | restore | reset
    version INTEGER
);
"""
_VERSION_COLUMNS = "layer, version, created_at, filename, n_rows, sha256, n_bytes, comment"
_SAVE_ADVICE = "Es wurde nichts gespeichert. Bitte prüfen Sie den neuen Stand und bestätigen Sie dann erneut."
_CHANGE_ADVICE = "Es wurde nichts geändert. Bitte prüfen Sie den neuen Stand und wählen Sie dann erneut."


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Workspace:
    """The versioned store of uploaded layers in ``<path>/arbeitsbereich.sqlite``.

    One workspace holds the data of one city (or a test copy): no layer of another workspace or of the demo
    is ever mixed in. Nothing is ever deleted: saving adds a version and makes it active, :meth:`restore`
    re-activates an old version, :meth:`reset` deactivates a layer (it is then missing, its history kept).
    Every write is one SQLite transaction, so a killed process leaves the previous state intact; concurrent writers
    wait for each other up to ``busy_timeout`` seconds and then get a German :class:`DataError`.
    The demo files are never written: only the database file (and SQLite's ``-wal``/``-shm`` files next
    to it) is touched.

    Parameters
    ----------
    path
        Workspace folder (usually a sub-folder of :data:`geo.settings.DATA_ROOT`, see
        :mod:`geo.store.workspaces`). It is created on the first write; reading an absent workspace gives
        empty results.
    busy_timeout
        Seconds to wait for another session's write.
    """

    #: Payload is stored in parts of this many bytes (keeps single blobs small).
    part_bytes: int = 1 << 20

    #: City workspaces are written by uploads; the built-in demo (:class:`geo.store.workspaces.DemoWorkspace`) is not.
    read_only: bool = False

    def __init__(self, path: Path | str, *, busy_timeout: float = BUSY_TIMEOUT_S):
        self.path = Path(path).expanduser()
        self.busy_timeout = float(busy_timeout)
        resolved, demo = self.path.resolve(), settings.DEMO_DIR.resolve()
        if resolved == demo or demo in resolved.parents:
            raise DataError(
                "Der Arbeitsbereich darf nicht im Ordner der Demodaten liegen. "
                "Bitte PRAEVENTIONSATLAS_DATA auf einen anderen Ordner setzen."
            )

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    @property
    def file(self) -> Path:
        """The SQLite database file."""
        return self.path / DB_NAME

    # ------------------------------------------------------------------ connection handling

    def _foreign(self) -> DataError:
        return DataError(
            f"Die Datei {DB_NAME} im Arbeitsbereich ist kein Arbeitsbereich des Präventionsatlas oder ist beschädigt. "
            "Sie wird nicht überschrieben. Bitte die Datei prüfen (Sicherung?) oder mit "
            "PRAEVENTIONSATLAS_DATA einen anderen Ordner wählen."
        )

    @contextmanager
    def _connect(self, *, create: bool) -> Iterator[sqlite3.Connection | None]:
        """Open the database (``None`` if it does not exist and ``create`` is false) and close it after.

        Refuses files that are not ours before SQLite touches them; :meth:`_read` and :meth:`_write`
        turn SQLite errors inside their blocks into German :class:`DataError` messages.
        """
        file = self.file
        if file.exists():
            if not file.is_file():
                raise self._foreign()
            size = file.stat().st_size
            if size:
                with file.open("rb") as handle:
                    if handle.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
                        raise self._foreign()
        elif not create:
            yield None
            return
        else:
            if self.path.exists() and not self.path.is_dir():
                raise DataError("Der Arbeitsbereich (PRAEVENTIONSATLAS_DATA) ist kein Ordner.")
            self.path.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(file, timeout=self.busy_timeout, isolation_level=None)
        try:
            with self._translate_errors():
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                conn.execute("PRAGMA foreign_keys = ON")
                # FULL: a committed version survives a power cut too, not only a killed process.
                conn.execute("PRAGMA synchronous = FULL")
                state = self._schema_state(conn)
                if state == "new" and create:
                    self._init_schema(conn)
                    state = "ours"
                if state == "new":
                    conn.close()
                    conn = None
            yield conn
        finally:
            if conn is not None:
                conn.close()

    def _schema_state(self, conn: sqlite3.Connection) -> str:
        """``"ours"``, ``"new"`` (an empty database) or raise for a foreign or newer file."""
        # One snapshot: read apart, another connection's schema commit could fall between the three reads.
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            user_version = conn.execute("PRAGMA user_version").fetchone()[0]
            n_objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            if own:
                conn.execute("COMMIT")
        if app_id == _APPLICATION_ID:
            if user_version > _SCHEMA_VERSION:
                raise DataError(
                    "Der Arbeitsbereich wurde mit einer neueren Version des Präventionsatlas "
                    "angelegt. Bitte die Anwendung aktualisieren."
                )
            return "ours"
        if app_id == 0 and n_objects == 0:
            return "new"
        raise self._foreign()

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch a new file to WAL, retrying while another connection of a brand-new workspace holds it.

        SQLite answers "locked" at once here instead of calling the busy handler.
        """
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        # WAL: readers never block the writer and see the last committed state; a crashed writer's
        # uncommitted frames in the -wal file are ignored on the next open.
        self._enable_wal(conn)
        self._begin(conn)
        try:
            if self._schema_state(conn) == "new":  # another process may have won the race
                for statement in _SCHEMA.split(";"):  # not executescript(): it would commit first
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as err:
            name = getattr(err, "sqlite_errorname", "")
            if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(err):
                raise DataError(
                    "Der Arbeitsbereich ist gerade durch einen anderen Speichervorgang belegt. "
                    "Bitte in einigen Sekunden erneut versuchen."
                ) from err
            if name.startswith("SQLITE_FULL"):
                raise DataError("Kein Speicherplatz mehr für den Arbeitsbereich. Nichts wurde geändert.") from err
            if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_IOERR")):
                raise DataError(
                    f"Auf den Arbeitsbereich (PRAEVENTIONSATLAS_DATA) kann nicht zugegriffen werden ({err})."
                ) from err
            raise
        except sqlite3.DatabaseError as err:
            if getattr(err, "sqlite_errorname", "").startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
                raise self._foreign() from err
            raise

    @staticmethod
    def _upgrade(conn: sqlite3.Connection) -> None:
        """Bring a workspace of schema 1 (no ``meta`` table) to the current schema, inside the write transaction."""
        if conn.execute("PRAGMA user_version").fetchone()[0] < _SCHEMA_VERSION:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _begin(self, conn: sqlite3.Connection) -> None:
        """Start a write transaction; waits up to ``busy_timeout`` for another writer."""
        conn.execute("BEGIN IMMEDIATE")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed as a whole or not at all."""
        with self._connect(create=True) as conn, self._translate_errors():
            assert conn is not None
            self._begin(conn)
            try:
                self._upgrade(conn)
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection | None]:
        """One read transaction: a consistent snapshot, unaffected by concurrent writes."""
        with self._connect(create=False) as conn, self._translate_errors():
            if conn is None:
                yield None
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")  # nothing was written; just ends the snapshot

    # ------------------------------------------------------------------ small queries

    @staticmethod
    def _info(conn: sqlite3.Connection, layer: str, version: int) -> VersionInfo | None:
        row = conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM versions WHERE layer = ? AND version = ?", (layer, version)
        ).fetchone()
        return None if row is None else VersionInfo._from_row(row)

    @staticmethod
    def _active(conn: sqlite3.Connection) -> dict[str, VersionInfo]:
        rows = conn.execute(
            f"SELECT {', '.join('v.' + c.strip() for c in _VERSION_COLUMNS.split(','))} "
            "FROM active a JOIN versions v USING (layer, version)"
        ).fetchall()
        found = {row[0]: VersionInfo._from_row(row) for row in rows}
        return {layer: found[layer] for layer in LAYERS if layer in found}

    @staticmethod
    def _event(conn: sqlite3.Connection, layer: str, action: str, version: int | None) -> None:
        conn.execute(
            "INSERT INTO events (at, layer, action, version) VALUES (?, ?, ?, ?)",
            (_now(), layer, action, version),
        )

    @staticmethod
    def _check_base(conn: sqlite3.Connection, base_versions: Mapping[str, int | None] | None, advice: str) -> None:
        """Refuse a write planned against other active versions.

        Runs inside the write transaction, so no other writer can come between this comparison and the write.
        """
        if not base_versions:
            return
        active = Workspace._active(conn)
        changed = {}
        for layer, seen in base_versions.items():
            check_layer(layer)
            now = active[layer].version if layer in active else None
            if now != (None if seen is None else int(seen)):
                changed[LAYER_LABELS[layer]] = (seen, now)
        if changed:
            raise VersionConflict(changed, advice)

    def _write_part(self, conn: sqlite3.Connection, layer: str, version: int, part: int, data: bytes) -> None:
        """Insert one part of a payload (a separate method so tests can stop a writer half-way)."""
        conn.execute(
            "INSERT INTO payload (layer, version, part, data) VALUES (?, ?, ?, ?)", (layer, version, part, data)
        )

    def _payload(self, conn: sqlite3.Connection, info: VersionInfo) -> bytes:
        parts = conn.execute(
            "SELECT data FROM payload WHERE layer = ? AND version = ? ORDER BY part", (info.layer, info.version)
        ).fetchall()
        return verified(b"".join(p[0] for p in parts), size=info.size, sha256=info.sha256, label=info.label)

    # ------------------------------------------------------------------ public API

    def save(
        self, layer: str, frame: pd.DataFrame, *, filename: str, comment: str = "",
        base_versions: Mapping[str, int | None] | None = None,
    ) -> VersionInfo:
        """Store ``frame`` as a new version of ``layer`` and make it the active one.

        If ``frame`` serializes to exactly the active version's payload (same checksum), nothing is
        written and the active version is returned: re-confirming the same upload is not a new version.
        Callers that want to tell the planner compare ``info.version`` with the version active before.
        Text columns of the legacy ``object`` dtype are stored (and read back) as pandas' ``str`` dtype;
        everything else reads back identical. One layer of :meth:`save_many`.

        Parameters
        ----------
        layer
            One of :data:`LAYERS`.
        frame
            GeoDataFrame (``districts``, ``offers``, ``residents``) or DataFrame (``indicators``,
            ``definitions``), validated and in the metric CRS; it is not modified.
        filename
            Name of the uploaded file, shown in the history.
        comment
            Optional free text.
        base_versions
            Layer → version that was active when ``frame`` was computed (``None``: no stored version, the
            base layer), e.g. :attr:`geo.ingest.UploadCheck.base_versions`. If any of these layers has
            another active version now, nothing is written and :class:`~geo._errors.VersionConflict` is
            raised: the comparison and the write are one transaction, so of two sessions that computed
            their change from the same state only the first one stores it. Not given: no comparison.

        Returns
        -------
        VersionInfo
            The new (or unchanged active) version.

        Raises
        ------
        VersionConflict
            ``base_versions`` are no longer the active versions.
        DataError
            The workspace is busy for longer than ``busy_timeout``, is not a workspace file, or a
            column cannot be stored.
        """
        return self.save_many({layer: frame}, filename=filename, comment=comment, base_versions=base_versions)[layer]

    def save_many(
        self, frames: Mapping[str, pd.DataFrame], *, filename: str, comment: str = "",
        base_versions: Mapping[str, int | None] | None = None,
    ) -> dict[str, VersionInfo]:
        """Store several layers in one transaction: all of them become active, or none.

        E.g. the indicators of an upload and their definitions.

        Each layer follows the rules of :meth:`save`: a frame whose payload equals its layer's active version
        adds no version; ``base_versions`` are compared inside the same transaction as the writes.

        Parameters
        ----------
        frames
            Layer → frame, each as :meth:`save` takes it.
        filename, comment, base_versions
            As in :meth:`save`, shared by every layer.

        Returns
        -------
        dict
            Layer → its new (or unchanged active) version, in the order of ``frames``.

        Raises
        ------
        VersionConflict, DataError
            As :meth:`save`; nothing of any layer is written.
        """
        if not frames:
            raise ValueError("save_many needs at least one layer")
        # Serialise outside the transaction: hold the write lock briefly.
        payloads = {layer: serialize(layer, frame) for layer, frame in frames.items()}
        out: dict[str, VersionInfo] = {}
        with self._write() as conn:
            self._check_base(conn, base_versions, _SAVE_ADVICE)
            active = self._active(conn)
            for layer, payload in payloads.items():
                digest = checksum(payload)
                current = active.get(layer)
                if current is not None and current.sha256 == digest:
                    out[layer] = current
                    continue
                out[layer] = self._insert_version(conn, layer, payload, digest, rows=len(frames[layer]),
                                                  filename=filename, comment=comment)
        return out

    def _insert_version(
        self, conn: sqlite3.Connection, layer: str, payload: bytes, digest: str, *, rows: int, filename: str,
        comment: str,
    ) -> VersionInfo:
        """Write one new version of ``layer`` and activate it, inside the caller's transaction."""
        version = conn.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE layer = ?", (layer,)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO versions (layer, version, created_at, filename, n_rows, sha256, n_bytes, format, "
            "comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (layer, version, _now(), str(filename), rows, digest, len(payload),
             FORMATS[layer in GEO_LAYERS], str(comment)),
        )
        for part, data in enumerate(split(payload, self.part_bytes)):
            self._write_part(conn, layer, version, part, data)
        conn.execute("INSERT OR REPLACE INTO active (layer, version) VALUES (?, ?)", (layer, version))
        self._event(conn, layer, "save", version)
        info = self._info(conn, layer, version)
        assert info is not None
        return info

    def load(self, layer: str, version: int | None = None) -> pd.DataFrame | None:
        """Read a stored layer.

        Parameters
        ----------
        layer
            One of :data:`LAYERS`.
        version
            A version number from :meth:`history`; by default the active version.

        Returns
        -------
        GeoDataFrame, DataFrame or None
            The layer exactly as stored, or ``None`` when no version is active (or nothing is stored).

        Raises
        ------
        DataError
            The requested version does not exist, or its stored data fail the checksum.
        """
        check_layer(layer)
        with self._read() as conn:
            if conn is None:
                info = None
            elif version is None:
                info = self._active(conn).get(layer)
            else:
                info = self._info(conn, layer, int(version))
            if info is None:
                if version is None:
                    return None
                raise DataError(f"Version {version} der Ebene „{LAYER_LABELS[layer]}“ gibt es nicht.")
            payload = self._payload(conn, info)
        return deserialize(layer, payload)

    def history(self, layer: str | None = None) -> pd.DataFrame:
        """All stored versions, newest first within each layer (layers in :data:`LAYERS` order).

        Returns
        -------
        DataFrame
            Columns ``layer``, ``layer_label``, ``version``, ``created_at`` (UTC), ``created_local``
            (``"21.11.2026 10:14"``), ``filename``, ``rows``, ``sha256``, ``comment``, ``active`` (bool) and
            ``label``. :data:`COLUMN_LABELS` has German headers.
        """
        if layer is not None:
            check_layer(layer)
        with self._read() as conn:
            infos: list[VersionInfo] = []
            active: dict[str, VersionInfo] = {}
            if conn is not None:
                where, params = ("WHERE layer = ?", (layer,)) if layer is not None else ("", ())
                rows = conn.execute(f"SELECT {_VERSION_COLUMNS} FROM versions {where}", params).fetchall()
                infos = [VersionInfo._from_row(r) for r in rows]
                active = self._active(conn)
        return history_table(infos, active)

    def log(self, layer: str | None = None) -> pd.DataFrame:
        """Every save, restore and reset in order: columns ``at`` (UTC), ``layer``, ``action``, ``version``."""
        if layer is not None:
            check_layer(layer)
        rows: list[tuple] = []
        with self._read() as conn:
            if conn is not None:
                where, params = ("WHERE layer = ?", (layer,)) if layer is not None else ("", ())
                rows = conn.execute(
                    f"SELECT at, layer, action, version FROM events {where} ORDER BY id", params
                ).fetchall()
        return log_table(rows)

    def restore(
        self, layer: str, version: int, *, base_versions: Mapping[str, int | None] | None = None
    ) -> VersionInfo:
        """Make an old version of ``layer`` the active one again.

        This is an activation, not a copy: the layer then reports e.g. "Angebote v2", the version
        numbers keep meaning one upload each, and :meth:`log` records when it was restored.
        ``base_versions`` as in :meth:`save`: the versions the planner saw active when choosing.

        Raises
        ------
        VersionConflict
            ``base_versions`` are no longer the active versions; nothing was changed.
        DataError
            The version does not exist.
        """
        check_layer(layer)
        with self._write() as conn:
            self._check_base(conn, base_versions, _CHANGE_ADVICE)
            info = self._info(conn, layer, int(version))
            if info is None:
                raise DataError(f"Version {version} der Ebene „{LAYER_LABELS[layer]}“ gibt es nicht.")
            current = self._active(conn).get(layer)
            if current is None or current.version != info.version:
                conn.execute("INSERT OR REPLACE INTO active (layer, version) VALUES (?, ?)", (layer, info.version))
                self._event(conn, layer, "restore", info.version)
        return info

    def reset(self, layer: str, *, base_versions: Mapping[str, int | None] | None = None) -> None:
        """Deactivate ``layer``: it is then missing from the data set (never filled from the demo); its history is kept.

        ``base_versions`` as in :meth:`restore`.
        """
        check_layer(layer)
        if not self.file.exists():
            if any(v is not None for v in (base_versions or {}).values()):
                raise VersionConflict(
                    {LAYER_LABELS[k]: (v, None) for k, v in base_versions.items() if v is not None}, _CHANGE_ADVICE
                )
            return
        with self._write() as conn:
            self._check_base(conn, base_versions, _CHANGE_ADVICE)
            if conn.execute("DELETE FROM active WHERE layer = ?", (layer,)).rowcount:
                self._event(conn, layer, "reset", None)

    def active_versions(self) -> dict[str, VersionInfo]:
        """Layer code name → active version, for the layers that have one (in :data:`LAYERS` order)."""
        with self._read() as conn:
            return {} if conn is None else self._active(conn)

    # ------------------------------------------------------------------ name and data set

    @staticmethod
    def _read_meta(conn: sqlite3.Connection) -> dict[str, str]:
        if conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()[0]:
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return {}

    def meta(self) -> dict[str, str]:
        """What the workspace records about itself: ``name`` (the municipality), ``ags``, ``origin``, ``created_at``.

        ``origin`` is ``"city"`` (the planner's own data) or ``"demo-copy"`` (a practice copy of the demo, which
        keeps the "synthetische Beispieldaten" stamp). Empty for a workspace that does not exist yet.
        """
        with self._read() as conn:
            return {} if conn is None else self._read_meta(conn)

    def set_meta(self, **values: str) -> None:
        """Record ``name``, ``ags``, ``origin`` … (one transaction; creates the workspace)."""
        with self._write() as conn:
            for key, value in values.items():
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    @property
    def name(self) -> str:
        """The municipality's name as given when the workspace was created (else the folder's name)."""
        return self.meta().get("name") or self.path.name

    def dataset(self) -> Dataset:
        """The workspace's data set: every active stored layer, and nothing from anywhere else.

        All active layers are read in one snapshot, so a concurrent save cannot mix versions. A layer never
        stored (or reset) is empty (districts, indicators, offers) or ``None`` (residents): pages name it as
        missing (:attr:`Dataset.missing_layers`, :attr:`Dataset.types_without_offers`) and the analysis
        leaves it out. ``versions`` labels every stored layer ("Angebote v3 (angebote_2025.csv, …)").
        Indicator definitions are the workspace's own (layer ``definitions``); a workspace stored before
        they were kept gets the built-in definitions of the indicator columns it has. Offer types and life
        phases are the workspace's own (layers ``offer_types``, ``phases``) once edited, else the built-in ones.
        Other stored versions of some layers: :func:`geo.store.versions.dataset_with_versions`.
        """
        return dataset_with_versions(self, {})

    def check(self) -> list[str]:
        """Full consistency check; an empty list means the workspace is sound.

        Runs SQLite's ``integrity_check`` and ``foreign_key_check`` and verifies every stored payload
        against its checksum. Reads everything, so meant for tests and maintenance, not for every page.
        """
        problems: list[str] = []
        with self._read() as conn:
            if conn is None:
                return problems
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                problems += [f"SQLite: {r}" for r in result]
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall():
                problems.append(f"Verweis ohne Ziel: {table} Zeile {rowid} → {parent}")
            for row in conn.execute(f"SELECT {_VERSION_COLUMNS} FROM versions").fetchall():
                info = VersionInfo._from_row(row)
                try:
                    self._payload(conn, info)
                except DataError as err:
                    problems.append(str(err))
        return problems
