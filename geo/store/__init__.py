"""The versioned workspaces behind one interface (SQLite today; a server backend would implement the same)."""

from geo.store.listing import COLUMN_LABELS, shown_log
from geo.store.workspace import DB_NAME, LAYER_LABELS, LAYERS, VersionInfo, Workspace
from geo.store.workspaces import (
    DEMO,
    DemoWorkspace,
    Entry,
    check_name,
    create_workspace,
    default_ref,
    list_workspaces,
    open_workspace,
    set_default,
)

__all__ = [
    "COLUMN_LABELS", "DB_NAME", "DEMO", "LAYERS", "LAYER_LABELS", "DemoWorkspace", "Entry", "VersionInfo", "Workspace",
    "check_name", "create_workspace", "default_ref", "list_workspaces", "open_workspace", "set_default",
    "shown_log",
]
