"""Data access for the meeting outputs: a ``fetch(name, **params)`` over one read-only
connection, running each named query once per export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from edubalance.store import db as dbmod
from edubalance.store.paths import db_path

# What the deck's and the workbook's builders read from: open_fetch's fetch, or on the 汇报导出
# page the cached ui.query (same signature: a query name and its parameters).
Fetch = Callable[..., pd.DataFrame]


@contextmanager
def open_fetch(db: Path | str | None = None) -> Iterator[Fetch]:
    """A ``fetch(name, **params)`` over one read-only connection to the database."""
    con = dbmod.connect(db_path(db))
    memo: dict[tuple, pd.DataFrame] = {}

    def fetch(name: str, **params) -> pd.DataFrame:
        # Several slides read the same result; run each query once per export.
        key = (name, tuple(sorted(params.items())))
        if key not in memo:
            memo[key] = dbmod.run(name, params, con=con)
        return memo[key].copy()

    try:
        yield fetch
    finally:
        con.close()
