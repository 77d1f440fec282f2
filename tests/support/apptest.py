"""Running a page script under Streamlit's AppTest, the way the page tests all start."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def render_page(path: str, **params) -> AppTest:
    """The page at ``path`` (relative to the repository) run once with the URL parameters
    ``params``; fails the test if the page raised. The database is $EDUBALANCE_DB."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at
