from pathlib import Path

import pytest

from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from tests.support.workbooks import oracle_frames  # noqa: E402


@pytest.fixture
def oracle_db(tmp_path) -> Path:
    db = tmp_path / "oracle.duckdb"
    result = import_tables(tables_from_frames(oracle_frames()), db)
    assert result.ok, [p.line() for p in result.problems.errors]
    return db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    from edubalance.ingest.build import build_database

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = build_database(db)
    assert result.ok, [p.line() for p in result.problems.errors[:20]]
    return db


@pytest.fixture(scope="module")
def geo_cache_in_tmp(tmp_path_factory):
    """Keep the derived outline cache out of the repository while a module's tests run (the
    geometry tests use it through ``pytest.mark.usefixtures``)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("EDUBALANCE_CACHE_DIR", str(tmp_path_factory.mktemp("geo_cache")))
    yield
    mp.undo()
