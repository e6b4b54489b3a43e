"""A workspace's data set, with chosen stored versions of some layers and the active ones of the others.

:meth:`geo.store.Workspace.dataset` is this with no choice (every active layer); the comparison over time
(:mod:`geo.analysis.over_time`, page "Entwicklung", ``python -m geo change``) builds the data set of each side with
the versions it compares ("Angebote v3" against "Angebote v5"). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from geo import catalog, settings
from geo._errors import DataError
from geo.dataset import Dataset
from geo.store.payload import (
    DISTRICT_COLUMNS,
    LAYER_LABELS,
    LAYERS,
    OFFER_COLUMNS,
    check_layer,
    deserialize,
    empty_geo,
    empty_indicators,
)

if TYPE_CHECKING:
    from geo.store.workspace import Workspace
    from geo.store.workspaces import DemoWorkspace

#: Why the built-in demo offers no versions to compare.
DEMO_HAS_NO_VERSIONS = ("Die Demo Musterstadt hat keine gespeicherten Datenstände: Vergleichen lassen sich hier nur "
                        "Jahre. Datenstände entstehen mit jedem Hochladen in einem eigenen Arbeitsbereich.")


def dataset_with_versions(workspace: Workspace | DemoWorkspace, versions: Mapping[str, int]) -> Dataset:
    """The data set of ``workspace`` whose layers named in ``versions`` are those stored versions.

    Every other layer is the active one. All layers are read in one snapshot, so a concurrent save cannot mix
    versions; ``versions`` and ``stored_versions`` of the data set name what it was built from (a layer chosen here
    need not be active, e.g. the offers before the last upload). Never writes.

    Parameters
    ----------
    workspace
        A city workspace (or the demo, which has no stored versions: only an empty ``versions`` is allowed).
    versions
        Layer code name (:data:`geo.store.LAYERS`) → version number of :meth:`~geo.store.Workspace.history`.

    Raises
    ------
    DataError
        A version that does not exist (German, naming layer and version), or versions asked of the demo.
    """
    for layer in versions:
        check_layer(layer)
    if workspace.read_only:
        if versions:
            raise DataError(DEMO_HAS_NO_VERSIONS)
        return workspace.dataset()
    with workspace._read() as conn:
        active = {} if conn is None else workspace._active(conn)
        for layer, version in versions.items():
            info = None if conn is None else workspace._info(conn, layer, int(version))
            if info is None:
                raise DataError(f"Version {version} der Ebene „{LAYER_LABELS[layer]}“ gibt es nicht.")
            active[layer] = info
        active = {layer: active[layer] for layer in LAYERS if layer in active}
        payloads = {layer: workspace._payload(conn, info) for layer, info in active.items()}
        meta = {} if conn is None else workspace._read_meta(conn)
    frames = {layer: deserialize(layer, payload) for layer, payload in payloads.items()}
    indicators = frames.get("indicators", empty_indicators())
    if "definitions" in frames:
        definitions = catalog.definitions_from_table(frames["definitions"])
    else:
        builtin = catalog.read_indicator_definitions()
        definitions = builtin[builtin.index.isin(indicators.columns)]
    demo_copy = meta.get("origin") == "demo-copy"
    name = meta.get("name") or workspace.path.name
    # the scenarios are planning variants beside the data, not a source of them
    stored = ", ".join(LAYER_LABELS[layer] for layer in active if layer != "scenarios") or "noch keine"
    source = f"{name}: eigene Daten ({stored})"
    if demo_copy:
        source = f"{name}: Übungskopie der Demo Musterstadt ({settings.SYNTHETIC_STAMP}; {stored})"
    return Dataset(
        districts=frames.get("districts", empty_geo(DISTRICT_COLUMNS)),
        indicators=indicators,
        offers=frames.get("offers", empty_geo(OFFER_COLUMNS)),
        residents=frames.get("residents"),
        offer_types=(catalog.offer_types_from_table(frames["offer_types"]) if "offer_types" in frames
                     else catalog.read_offer_types()),
        indicator_definitions=definitions,
        phases=catalog.phases_from_table(frames["phases"]) if "phases" in frames else catalog.read_phases(),
        sozialindex=frames.get("sozialindex"),
        catchments=frames.get("catchments"),
        clinic_births=frames.get("clinic_births"),
        scenarios=frames.get("scenarios"),
        source=source,
        synthetic=demo_copy,
        versions={layer: info.label for layer, info in active.items()},
        stored_versions={layer: info.version for layer, info in active.items()},
        city=name,
        workspace=workspace.path.name,
    )
