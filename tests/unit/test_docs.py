"""The product's own docs: the registries name real documents, the docs stand alone, and every
citation of docs/METHODS.md or docs/ARCHITECTURE.md by topic lands on a heading that exists."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Text that would send a reader outside the repository (the design notes the product grew from).
OUTSIDE = ("../shared", "STANDARDS.md", "DESIGN.md", "STANDARDS §", "DESIGN §")
# "docs/METHODS.md, 差异系数" or "docs/METHODS.md「目标进度判定」": the topic is the heading's Chinese part.
CITATION = re.compile(r"docs/(METHODS|ARCHITECTURE)\.md(?:, |「)([\u4e00-\u9fff][\u4e00-\u9fff0-9]*)")
DOC_LINK = re.compile(r"docs/([A-Z]+)\.md")
SCANNED = ("*.py", "*.sql", "*.md", "*.csv", "*.toml")


def _product_files():
    for pattern in SCANNED:
        for path in ROOT.rglob(pattern):
            parts = path.relative_to(ROOT).parts
            if parts[0].startswith(".") and parts[0] != ".ci" or "cache" in parts:
                continue
            yield path


def _headings(name: str) -> list[str]:
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    return [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]


@pytest.mark.parametrize("registry", ["indicators.csv", "indicator_standards.csv"])
def test_registry_sources_name_documents_not_design_notes(registry):
    # The source column is shown on 方法说明: it must name a document a reader can look up.
    rows = list(csv.DictReader((ROOT / "data" / registry).open(encoding="utf-8")))
    assert rows
    for r in rows:
        key = r.get("key") or r["indicator_key"]
        assert r["source"].strip(), key
        assert not [o for o in OUTSIDE if o in r["source"]], (key, r["source"])


def test_the_seven_resource_indicators_cite_the_2017_measures():
    rows = csv.DictReader((ROOT / "data" / "indicator_standards.csv").open(encoding="utf-8"))
    seven = {
        "degree_teachers_per100",
        "backbone_per100",
        "pe_art_per100",
        "teaching_area_per_pupil",
        "sports_area_per_pupil",
        "equipment_per_pupil",
        "multimedia_per100",
    }
    cited = {(r["indicator_key"], r["scope"]) for r in rows if r["source"].startswith("教督〔2017〕6号 资源配置第")}
    assert cited == {(k, s) for k in seven for s in ("小学", "初中")}


@pytest.mark.parametrize("path", ["README.md", *sorted(p.name for p in DOCS.glob("*.md"))])
def test_docs_stand_alone(path):
    file = ROOT / path if path == "README.md" else DOCS / path
    text = file.read_text(encoding="utf-8")
    assert not [o for o in OUTSIDE if o in text], path


def test_every_cited_doc_and_topic_exists():
    headings = {name: _headings(name) for name in ("METHODS", "ARCHITECTURE")}
    missing = []
    for path in _product_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(ROOT)
        for doc in DOC_LINK.findall(text):
            if not (DOCS / f"{doc}.md").is_file():
                missing.append(f"{rel}: docs/{doc}.md does not exist")
        for doc, topic in CITATION.findall(text):
            if not any(topic in h for h in headings[doc]):
                missing.append(f"{rel}: docs/{doc}.md has no heading with “{topic}”")
    assert not missing, "\n".join(sorted(set(missing)))
