"""`python -m edubalance check`: every finding about a workbook, from one read of the file.

Validation (errors and 疑点 with their cells), then, when there is no error, the geometry
findings (coordinates outside the county or far from the town) and the data-quality
findings of the workbook loaded the way an import would load it. The file is read and
validated once; all findings go through one Problems, so each rule lists at most
problems.MAX_PER_RULE items with the total, however hostile the file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow

from edubalance.ingest.county_checks import tag_problems
from edubalance.ingest.importer import DatabaseUnreadable, load_in_memory, read_existing, read_or_problems
from edubalance.ingest.location_checks import parsed_findings
from edubalance.ingest.problems import WARNING, Problems
from edubalance.ingest.quality import as_problems, findings_from_connection
from edubalance.ingest.validate import Existing, validate

MEMORY_LIMIT = "128MB"  # DuckDB's share of the check's 500 MB budget; it spills beyond


def _system_arrow_pool() -> None:
    """pandas keeps text columns in Arrow buffers; Arrow's own allocator holds on to freed
    memory, the system allocator hands it back. For one large file that is ~30 MB of peak."""
    try:
        pyarrow.set_memory_allocator(pyarrow.system_memory_pool())
    except AttributeError:  # a pyarrow build without the system pool
        pass


def check_workbook(path: str | Path, db: Path | None = None) -> Problems:
    _system_arrow_pool()
    tables, problems = read_or_problems(Path(path))
    if problems.errors:
        return problems
    try:
        existing = read_existing(db) if db is not None else Existing()
    except DatabaseUnreadable as exc:
        problems.add(Path(db).name, None, "", "", str(exc))
        return problems
    parsed, found = validate(tables, existing, replace_years=True, release_raw=True)
    del tables
    problems = found
    for p in parsed_findings(parsed):
        problems.add(p.sheet, p.row, p.column, p.value, p.reason, p.severity)
    if problems.errors:
        tag_problems(parsed, problems)
        return problems
    with tempfile.TemporaryDirectory(prefix="edubalance-check-") as scratch:
        try:
            con = load_in_memory(parsed, memory_limit=MEMORY_LIMIT, scratch=Path(scratch))
            try:
                found = findings_from_connection(con, geometry=False)
            finally:
                con.close()
        except duckdb.OutOfMemoryException:
            problems.add(
                "",
                None,
                "",
                "",
                f"文件过大：数据质量检查（年度突变、总数不符等）超出 {MEMORY_LIMIT} 内存上限，未完成；上面的校验结果完整有效",
                WARNING,
            )
            return problems
    # 口径疑点 are already listed by validation, with their row.
    for p in as_problems(found[found["category"] != "口径疑点"]):
        problems.add(p.sheet, p.row, p.column, p.value, p.reason, p.severity, county=p.county)
    tag_problems(parsed, problems)  # the later findings get their row's county too
    return problems
