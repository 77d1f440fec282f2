"""Files handed in through the browser: read into raw tables and checked against the database
as it is now. Nothing is written here; the admin page imports a checked upload through
``importer.import_tables``."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edubalance.ingest.importer import read_existing
from edubalance.ingest.problems import Problems
from edubalance.ingest.reading import RawTable, UnreadableFile, read_source
from edubalance.ingest.validate import validate

MAX_UPLOAD_MB = 20  # the same cap as [server] maxUploadSize in .streamlit/config.toml
UPLOAD_SUFFIXES = (".xlsx", ".xlsm", ".csv")


@dataclass
class Upload:
    """Files handed in through the browser, read into raw tables (or the reasons they cannot be)."""

    tables: list[RawTable]
    problems: Problems
    file_name: str  # for the import log: the file name, or the names of several CSVs
    sha: str  # sha256 of the file; of the sorted (name, sha256) list for several files
    size: int

    @property
    def readable(self) -> bool:
        return bool(self.tables) and not self.problems.errors

    @property
    def rows(self) -> dict[str, int]:
        """Data rows read per sheet (Chinese sheet name)."""
        return {t.sheet.zh: len(t.rows) for t in self.tables}


def read_upload(files: list[tuple[str, bytes]], max_mb: float = MAX_UPLOAD_MB) -> Upload:
    """Read uploaded files: one .xlsx workbook, or one CSV per sheet named after the sheet.

    Streamlit already refuses files above maxUploadSize; the size is checked again here so
    the cap holds whatever the server configuration says.
    """
    problems = Problems()
    files = [(Path(name).name, data) for name, data in files]  # never a path from the browser
    size = sum(len(data) for _, data in files)
    names = "、".join(name for name, _ in files)
    if len(files) == 1:
        sha = hashlib.sha256(files[0][1]).hexdigest()
    else:
        h = hashlib.sha256()
        for name, data in sorted(files):
            h.update(f"{name}\0{hashlib.sha256(data).hexdigest()}\n".encode())
        sha = h.hexdigest()
    if not files:
        problems.add("", None, "", "", "没有上传文件")
    if size > max_mb * 1024 * 1024:
        problems.add(names, None, "", f"{size / 1024 / 1024:.1f} MB", f"文件过大（上限 {max_mb:g} MB）")
    for name, _ in files:
        if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
            problems.add(
                name,
                None,
                "",
                "",
                f"不支持的文件类型“{Path(name).suffix or '无扩展名'}”（请上传 .xlsx 工作簿，或按表名命名的 .csv 文件）",
            )
    if len({n for n, _ in files}) < len(files):
        problems.add(names, None, "", "", "上传了同名文件")
    if problems.errors:
        return Upload([], problems, names, sha, size)
    with tempfile.TemporaryDirectory(prefix="edubalance-upload-") as folder:
        tables: list[RawTable] = []
        for name, data in files:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                tables.extend(read_source(path))
            except UnreadableFile as exc:
                problems.add(name, None, "", "", str(exc))
    return Upload(tables if not problems.errors else [], problems, names, sha, size)


def check_tables(tables: list[RawTable], db: Path, replace_years: bool = False) -> Problems:
    """Validate against the database as it is now; nothing is written."""
    return validate(tables, read_existing(Path(db)), replace_years=replace_years)[1]


def check_upload(upload: Upload, db: Path, replace_years: bool = False) -> Problems:
    """Every problem of an upload: reading first, then validation against the database now."""
    problems = Problems()
    problems.items.extend(upload.problems.items)
    if upload.readable:
        found = check_tables(upload.tables, db, replace_years).items
        # Sheet by sheet in workbook order, then row by row: the order a clerk fixes them in.
        order = {t.sheet.zh: i for i, t in enumerate(upload.tables)}
        found.sort(key=lambda p: (order.get(p.sheet, -1), p.row or 0))
        problems.items.extend(found)
    return problems
