"""Offline drawing: an empty world topology for plotly's geo base map, served from
``static/topojson/`` so that the maps never fetch one from a CDN."""

from __future__ import annotations

import json
from pathlib import Path

from edubalance.store.paths import STATIC_DIR

DEFAULT_TOPOJSON_DIR = STATIC_DIR / "topojson"

_TOPOJSON_LAYERS = (
    "coastlines",
    "land",
    "ocean",
    "lakes",
    "rivers",
    "countries",
    "subunits",
)
TOPOJSON_NAMES = ("world_110m.json", "world_50m.json")


def empty_topology() -> dict:
    """A TopoJSON Topology whose layers plotly.js reads are all empty GeometryCollections.

    plotly's geo subplot downloads ``<topojsonURL><scope>_<resolution>m.json`` even when the
    base map is hidden; serving this file locally keeps the dashboard offline.
    """
    return {
        "type": "Topology",
        "objects": {name: {"type": "GeometryCollection", "geometries": []} for name in _TOPOJSON_LAYERS},
        "arcs": [],
    }


def write_empty_topojson(folder: str | Path = DEFAULT_TOPOJSON_DIR) -> list[Path]:
    """Write world_110m.json and world_50m.json (empty topologies) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(empty_topology(), separators=(",", ":")) + "\n"
    paths = []
    for name in TOPOJSON_NAMES:
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != payload:
            path.write_text(payload, encoding="utf-8")
        paths.append(path)
    return paths
