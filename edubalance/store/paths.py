"""Where things live. `EDUBALANCE_DB` overrides the default database path."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
DERIVED_DIR = QUERIES_DIR / "derived"  # DDL the importer runs after loading the base tables
INTERNAL_DIR = QUERIES_DIR / "internal"  # statements the writers run (not named queries)
STATIC_DIR = ROOT / "static"
GEO_DIR = ROOT / "geo"
DEFAULT_DB = DATA_DIR / "edubalance.duckdb"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("EDUBALANCE_DB")
    return Path(env) if env else DEFAULT_DB


def derived_scripts() -> list[Path]:
    """queries/derived/*.sql in the order the importer runs them (by name: 01_, 02_, ...)."""
    return sorted(DERIVED_DIR.glob("*.sql"))


@cache
def internal_sql(name: str) -> str:
    """The text of queries/internal/NAME.sql."""
    return (INTERNAL_DIR / f"{name}.sql").read_text(encoding="utf-8")
