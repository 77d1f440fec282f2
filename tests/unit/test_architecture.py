"""The architecture rules of docs/ARCHITECTURE.md, checked statically on the source:
no import cycles, no private names across modules, imports inside functions only for heavy
optional dependencies (with a comment why), no runtime module over the size limit, the running
app never reaches edubalance.devtools, and tests do not edit sys.path."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "edubalance"
MAX_LINES = 600
# Imports a function may make lazily: heavy optional dependencies that most runs never need
# (Kaleido renders the deck's map image, Playwright drives a browser for bench); devtools, which
# only the bench command may reach; and the export handler, whose python-pptx/plotly stack would
# double the start-up of every other command (`query` is called in loops by scripts).
LAZY_ALLOWED = ("kaleido", "playwright", "edubalance.devtools", "edubalance.report.export")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


RUNTIME_FILES = sorted(PACKAGE.rglob("*.py"))
APP_FILES = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py"))]
MODULES = {module_name(p): p for p in RUNTIME_FILES}


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def resolve(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module_name(path).split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(path: Path) -> list[tuple[str, ast.stmt]]:
    """(module, node) for every import in the file; `from pkg import mod` yields pkg.mod."""
    found = []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            found += [(a.name, node) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(path, node)
            for a in node.names:
                sub = f"{target}.{a.name}"
                found.append((sub if sub in MODULES else target, node))
    return found


def edges(path: Path) -> set[str]:
    """The package modules a file imports, at any depth (lazy imports count too)."""
    return {name for name, _node in imported_modules(path) if name in MODULES}


def test_the_package_is_layered_into_subpackages():
    flat = [p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py", "cli.py"}]
    assert not flat, f"modules belong in a layer sub-package: {flat}"
    assert {"model", "store", "ingest", "metrics", "charts", "report", "ui", "devtools"} <= {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each back edge of a depth-first walk closes a cycle; return those cycles."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n) :] + [n])
            elif n not in state:
                visit(n, stack + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return cycles


def test_the_cycle_finder_finds_cycles():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycles():
    graph = {m: edges(p) for m, p in MODULES.items()}
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize("path", RUNTIME_FILES + APP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_from_other_modules(path):
    bad = []
    own = module_name(path)
    imported_as = {}
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.ImportFrom):
            target = resolve(path, node)
            if target == "__future__" or not target.startswith("edubalance"):
                continue
            for a in node.names:
                if a.name.startswith("_") and target != own:
                    bad.append(f"line {node.lineno}: from {target} import {a.name}")
                if f"{target}.{a.name}" in MODULES:
                    imported_as[a.asname or a.name] = f"{target}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("edubalance"):
                    imported_as[a.asname or a.name] = a.name
    for node in ast.walk(tree(path)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported_as
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            bad.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, f"{path.name} uses another module's private names:\n" + "\n".join(bad)


def _comment_near(lines: list[str], lineno: int) -> bool:
    here = lines[lineno - 1]
    above = lines[lineno - 2] if lineno >= 2 else ""
    return "#" in here or "#" in above


@pytest.mark.parametrize("path", RUNTIME_FILES + APP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_inside_functions_only_for_heavy_optional_dependencies(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = []
    for fn in ast.walk(tree(path)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [resolve(path, node)]
            else:
                continue
            allowed = all(any(n == p or n.startswith(p + ".") for p in LAZY_ALLOWED) for n in names)
            if not allowed:
                bad.append(f"line {node.lineno}: import {', '.join(names)} inside {fn.name}()")
            elif not _comment_near(lines, node.lineno):
                bad.append(f"line {node.lineno}: lazy import of {', '.join(names)} needs a comment saying why")
    assert not bad, f"{path.name}:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", RUNTIME_FILES + APP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_size(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines (limit {MAX_LINES}): split it by responsibility"


# Who may import whom (docs/ARCHITECTURE.md, 分层): a layer imports only the layers listed for
# it, never one above. "base" is store.paths and store.private, which everything may use.
ALLOWED_LAYERS = {
    "base": set(),
    "model": {"base"},
    "access": {"base", "model"},
    "store": {"base", "model", "access"},
    "geo": {"base", "model"},
    "demo": {"base", "model", "geo"},
    "ingest": {"base", "model", "access", "store", "geo", "demo"},
    "metrics": {"base", "model", "geo"},
    "charts": {"base", "model", "geo", "metrics"},
    "report": {"base", "model", "store", "geo", "metrics", "charts"},
    "ui": {"base", "model", "access", "store", "geo", "ingest", "metrics", "charts", "report"},
    "cli": {"base", "model", "access", "store", "geo", "ingest", "report", "devtools"},
    "devtools": {"base", "model", "access", "store", "geo", "demo", "ingest", "metrics", "charts", "report", "ui"},
}


def layer_of(module: str) -> str:
    if module in ("edubalance.store.paths", "edubalance.store.private"):
        return "base"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "package"  # edubalance/__init__.py


def test_every_module_belongs_to_a_known_layer():
    unknown = {layer_of(m) for m in MODULES} - set(ALLOWED_LAYERS) - {"__main__", "package"}
    assert not unknown, f"layers missing from ALLOWED_LAYERS (and docs/ARCHITECTURE.md): {unknown}"


def test_layers_import_only_the_layers_below():
    upward = []
    for m, p in MODULES.items():
        here = layer_of(m)
        if here not in ALLOWED_LAYERS:
            continue
        for n in edges(p):
            there = layer_of(n)
            if there != here and there not in ALLOWED_LAYERS[here]:
                upward.append(f"{m} ({here}) → {n} ({there})")
    assert not upward, "imports against the layering:\n" + "\n".join(sorted(upward))


def test_the_running_app_never_imports_devtools():
    """Everything app.py and the views reach, at any depth (lazy imports included)."""
    seen: set[str] = set()
    todo = [p for p in APP_FILES]
    reached = []
    while todo:
        path = todo.pop()
        for name, _node in imported_modules(path):
            if name.startswith("edubalance.devtools"):
                reached.append(f"{path.relative_to(ROOT)} → {name}")
            if name in MODULES and name not in seen:
                seen.add(name)
                todo.append(MODULES[name])
    assert seen, "the walk found no edubalance module: the import resolution is broken"
    assert not reached, "the running app reaches devtools:\n" + "\n".join(reached)


def test_only_cli_reaches_devtools():
    users = sorted(
        m
        for m, p in MODULES.items()
        if not m.startswith("edubalance.devtools")
        and any(n.startswith("edubalance.devtools") for n, _ in imported_modules(p))
    )
    assert users == ["edubalance.cli"], users


def test_tests_do_not_edit_sys_path():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("*.py")
        if "sys.path.insert" in p.read_text(encoding="utf-8") or "sys.path.append" in p.read_text(encoding="utf-8")
    ]
    offenders = [o for o in offenders if not o.endswith("test_architecture.py")]
    assert not offenders, offenders
