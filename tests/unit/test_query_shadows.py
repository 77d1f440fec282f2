"""Every named query that reads county-bearing data takes the county and reads only that
county's rows: it declares `-- param: county text optional`, and each county-bearing relation
it reads is shadowed by a `NOT MATERIALIZED` CTE of the same name filtered to $county. Static,
so a new query cannot forget the county (the comparison queries county_* take a scope instead)."""

import re

import pytest

from edubalance.store import db as dbmod
from edubalance.store.paths import derived_scripts

# Relations holding rows of several counties, and the county filter their shadow must carry.
COUNTY_BEARING = (
    "towns", "schools", "school_years", "principals", "designations", "city_facts",
    "task_progress", "researchers", "v_band_classes", "v_segments", "d_segments", "v_measures",
    "v_indicator_values", "d_indicator_values", "v_balance_values", "v_inequality_units",
    "v_town_values", "v_city_values", "v_county_cv",
)  # fmt: skip
# ref_targets holds every county's targets once the plans per county are derived (08_plans.sql).
if any("plan_set" in script.read_text(encoding="utf-8") for script in derived_scripts()):
    COUNTY_BEARING += ("ref_targets",)
HAS_COUNTY_COLUMN = {"city_facts", "task_progress", "researchers", "ref_targets"}
# Queries over all counties at once, filtered by an adcode prefix `scope`.
COMPARISONS = {"county_list", "county_balance_cv", "county_urban_rural", "county_targets", "county_ranking"}
# The import log is global; its county param filters import_log.counties.
GLOBAL = {"import_history"}
# A relation a query reads unshadowed because a join to a shadowed one restricts it already
# (preview_town_totals: a filtered school_years flips the hash join and moves the last bits).
RESTRICTED_BY_JOIN = {("preview_town_totals", "school_years")}


def _body(sql: str) -> str:
    return "\n".join(line.split("--")[0] for line in sql.splitlines())


def _reads(body: str) -> set[str]:
    """County-bearing relations read, less the names the query defines as its own plain CTEs
    (town_profile's `schools` is a per-town count, not the table)."""
    own = set(re.findall(r"(?:WITH|,)\s*(\w+)\s+AS\s+\(", body, re.I))
    return {n for n in COUNTY_BEARING if re.search(rf"\b(?:FROM|JOIN)\s+{n}\b", body, re.I)} - own


def _shadows(body: str) -> dict[str, str]:
    """name -> body of each `name AS NOT MATERIALIZED (…)` CTE (to the first line closing it)."""
    out = {}
    for m in re.finditer(r"(?:WITH|,)\s*(\w+)\s+AS\s+NOT\s+MATERIALIZED\s*\((.*?)\n\)", body, re.S | re.I):
        out[m.group(1)] = m.group(2)
    return out


NAMES = [n for n in dbmod.list_queries() if n not in COMPARISONS]


@pytest.mark.parametrize("name", NAMES)
def test_query_declares_and_uses_the_county(name):
    q = dbmod.load_query(name)
    body = _body(q.sql)
    reads = _reads(body)
    if not reads and name not in GLOBAL:
        assert "county" not in {p for p, _, _ in q.params}, f"{name} declares county but reads no county data"
        return
    if name == "targets_status" and "county" not in q.optional:
        pytest.xfail("targets_status gains its county with the plans per county (branch i16-plans)")
    assert ("county", "text") in {(p, t) for p, t, _ in q.params}, f"{name} reads {sorted(reads)}: declare county"
    assert "county" in q.optional, f"{name}: county must be optional (db.run fills it in with one county)"
    assert re.search(r"\$county\b", body), f"{name} declares county but never uses $county"
    shadows = _shadows(body)
    for rel in sorted(reads):
        if (name, rel) in RESTRICTED_BY_JOIN:
            continue
        assert rel in shadows, f"{name} reads {rel} without a NOT MATERIALIZED shadow filtered to $county"
        inner = shadows[rel]
        # (v_county_cv may be read through its table macro county_cv(year, county))
        reads_it = re.search(rf"\bFROM\s+{rel}\b", inner, re.I) or (
            rel == "v_county_cv" and re.search(r"\bFROM\s+county_cv\(\$year,\s*\$county\)", inner)
        )
        assert reads_it, f"{name}: the shadow of {rel} must read {rel}"
        # filtered to the county: directly, or through the (shadowed) schools
        assert "$county" in inner or "FROM schools" in inner, f"{name}: the shadow of {rel} is not filtered"
        if "FROM schools" in inner and "$county" not in inner:
            assert "schools" in shadows, f"{name}: {rel}'s shadow needs the schools shadow"
        if (
            rel.startswith(("v_", "d_"))
            and rel != "v_band_classes"
            or rel in {"city_facts", "task_progress", "researchers"}
        ):
            # views with a county column: EXCLUDE it, so `SELECT *` keeps today's columns
            assert "EXCLUDE (county" in inner, f"{name}: the shadow of {rel} must EXCLUDE (county)"


@pytest.mark.parametrize("name", sorted(COMPARISONS & set(dbmod.list_queries())))
def test_comparison_queries_take_a_scope(name):
    q = dbmod.load_query(name)
    assert "scope" in q.optional and re.search(r"\$scope\b", q.sql)


def test_the_rules_see_a_forgotten_shadow():
    """The checks above would catch a query that reads towns without a shadow."""
    sql = "SELECT * FROM towns AS t JOIN v_town_values USING (town_code)"
    assert _reads(_body(sql)) == {"towns", "v_town_values"}
    assert _shadows(_body(sql)) == {}
    shadowed = (
        "WITH towns AS NOT MATERIALIZED (\n    SELECT * FROM towns WHERE substr(town_code, 1, 6) = $county\n)\nSELECT 1"
    )
    assert "towns" in _shadows(_body(shadowed))


def test_optional_params_are_parsed():
    q = dbmod.load_query("balance_cv")
    assert [p for p, _, _ in q.params] == ["year", "county"] and q.optional == {"county"}
    assert all(len(p) == 3 for p in q.params)  # callers unpack (name, type, description)
    with pytest.raises(dbmod.QueryError, match="缺少参数：year"):
        dbmod.coerce_params(q, {})
    assert dbmod.coerce_params(q, {"year": "2025"}) == {"year": 2025}
    with pytest.raises(dbmod.QueryError, match="6 位县级区划代码"):
        dbmod.coerce_params(q, {"year": "2025", "county": "4407"})
