"""Layering rules (docs/ARCHITECTURE.md, 分层): page scripts (the folders edubalance/ui/navigation.py points at)
are UI only, SQL lives in queries/ with $named parameters and a header, and every registered
page exists and is exercised by a test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from edubalance.ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[2]
# The folders that hold page scripts, taken from the registry (views/ today).
PAGE_DIRS = sorted({(ROOT / p.path).parent for p in PAGES})
PAGE_FILES = sorted(f for d in PAGE_DIRS for f in d.glob("*.py"))
QUERY_FILES = sorted((ROOT / "queries").glob("*.sql"))
TEST_FILES = sorted(Path(__file__).parents[1].rglob("test_*.py"))

# A string literal that reads like SQL: a statement keyword followed by SQL-ish structure.
SQL_IN_STRING = re.compile(
    r"\b(SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|CREATE\s+(OR\s+REPLACE\s+)?(TABLE|VIEW|INDEX)|"
    r"DELETE\s+FROM|UPDATE\s+\w+\s+SET|DROP\s+(TABLE|VIEW)|WITH\s+\w+\s+AS\s*\()",
    re.IGNORECASE,
)
SQL_KEYWORD = re.compile(r"\b(SELECT|FROM|INSERT|CREATE)\b")


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_there_are_pages_and_queries():
    assert PAGE_FILES and QUERY_FILES


@pytest.mark.parametrize("path", PAGE_FILES, ids=[p.name for p in PAGE_FILES])
def test_page_does_not_import_duckdb(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert "duckdb" not in _imports(tree), f"{path.name} imports duckdb; pages read data through edubalance.ui.data"
    assert "sqlite3" not in _imports(tree)


@pytest.mark.parametrize("path", PAGE_FILES, ids=[p.name for p in PAGE_FILES])
def test_page_holds_no_sql(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in docs:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text, line = node.value, node.lineno
        elif isinstance(node, ast.JoinedStr):
            text = " ".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            line = node.lineno
        else:
            continue
        if SQL_IN_STRING.search(text) or len(SQL_KEYWORD.findall(text)) >= 2:
            found.append(f"line {line}: {text[:80]!r}")
    assert not found, f"{path.name} holds SQL (put it in queries/*.sql):\n" + "\n".join(found)


def test_the_sql_detector_catches_sql():
    assert SQL_IN_STRING.search("select town_code from towns where year = 1")
    assert SQL_IN_STRING.search("INSERT INTO towns VALUES (1)")
    assert SQL_IN_STRING.search("create or replace view v as select 1")
    assert not SQL_IN_STRING.search("请选择学年，从下拉框中选取")
    assert not SQL_IN_STRING.search("Select a year")


def _sql_body(text: str) -> str:
    """The SQL without its comments (a comment may quote formulas with braces)."""
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.stem for p in QUERY_FILES])
def test_query_uses_only_named_parameters(path):
    body = _sql_body(path.read_text(encoding="utf-8"))
    # No templating of any kind: Python format fields, %-placeholders, positional "?" params.
    assert "{" not in body and "}" not in body, f"{path.name}: braces (string templating?) in the SQL"
    assert "%s" not in body and "%(" not in body, f"{path.name}: %-style placeholder"
    assert "format(" not in body.lower(), f"{path.name}: format( in the SQL"
    outside_strings = re.sub(r"'(?:[^']|'')*'", "''", body)
    assert "?" not in outside_strings, f"{path.name}: positional ? parameter; use $name"


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.stem for p in QUERY_FILES])
def test_query_header_and_declared_parameters(path):
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line)
    assert header and header[0].strip() == f"-- name: {path.stem}", (
        f"{path.name}: first line must be -- name: {path.stem}"
    )
    assert any(line.startswith("-- purpose:") for line in header), f"{path.name}: no -- purpose: line"
    assert any(line.startswith("-- columns:") for line in header), f"{path.name}: no -- columns: line"
    declared = {m.group(1) for line in header if (m := re.match(r"^--\s*param:\s*(\w+)\s+(int|text|float)\b", line))}
    body = re.sub(r"'(?:[^']|'')*'", "''", _sql_body(text))
    used = set(re.findall(r"\$([A-Za-z_]\w*)", body))
    assert used == declared, f"{path.name}: parameters used {sorted(used)} but declared {sorted(declared)}"


def test_every_registered_page_exists():
    missing = [p.path for p in PAGES if not (ROOT / p.path).is_file()]
    assert not missing, f"registered in edubalance/navigation.py but missing: {missing}"
    paths = [p.url_path for p in PAGES]
    assert len(paths) == len(set(paths)), f"duplicate url_path in PAGES: {paths}"


def test_every_registered_page_is_mentioned_by_a_test():
    """Besides the browser test (which walks PAGES), each page needs a test that names it."""
    generic = {"test_layering.py", "test_browser.py"}
    texts = {p.name: p.read_text(encoding="utf-8") for p in TEST_FILES if p.name not in generic}
    unmentioned = []
    for spec in PAGES:
        stem = Path(spec.path).stem
        folder = Path(spec.path).parent.as_posix()
        needles = (spec.path, f"{folder}/{stem}", f'"{stem}.py"', f"'{stem}.py'")
        if not any(n in t for t in texts.values() for n in needles):
            unmentioned.append(spec.path)
    assert not unmentioned, f"no test names these pages (add an AppTest): {unmentioned}"
