"""Where things live. `EDUBALANCE_DB` overrides the default database path."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
DERIVED_DIR = QUERIES_DIR / "derived"  # DDL the importer runs after loading the base tables
STATIC_DIR = ROOT / "static"
GEO_DIR = ROOT / "geo"
DEFAULT_DB = DATA_DIR / "edubalance.duckdb"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("EDUBALANCE_DB")
    return Path(env) if env else DEFAULT_DB
