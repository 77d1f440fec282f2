"""Files only the service user may read: the database, its history, the accounts store, secrets.

Modes are set explicitly when a file is created (not left to the umask), because a copy
(shutil.copy2) carries the mode of its source and DuckDB creates files with the process umask.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def restrict_umask() -> None:
    """New files of this process are readable by their owner only (server and CLI start-up)."""
    os.umask(0o077)


def private_file(path: str | os.PathLike) -> Path:
    """Tighten an existing file to 600 (a file that is not there, or has just gone, as a
    journal does between two SQLite transactions, is left alone)."""
    path = Path(path)
    try:
        os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass
    return path


def private_dir(path: str | os.PathLike) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def create_private(path: str | os.PathLike) -> Path:
    """Create the file (empty) with mode 600 if it does not exist; tighten it if it does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    return private_file(path)
