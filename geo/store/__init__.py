"""The versioned workspace behind one interface (SQLite today; a server backend would implement the same)."""

from geo.store.workspace import DB_NAME, LAYER_LABELS, LAYERS, VersionInfo, Workspace

__all__ = ["DB_NAME", "LAYERS", "LAYER_LABELS", "VersionInfo", "Workspace"]
