"""Reference registries (data/*.csv): indicators, their standards, designation kinds, and the
plans' targets (data/plans/<adcode>/targets.csv per county, data/plans/common/targets.csv for
the national-standard targets G1–G7 every county is held to).

They are loaded into the database at every build so SQL can join against thresholds
instead of holding literals, and read here for validation and the 方法说明 page. The database's
ref_targets (one row set per county present: its own plan, else the common targets) is built
by queries/derived/08_plans.sql from ref_plan_files and the uploaded plan_targets.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from edubalance.store.paths import DATA_DIR

REGISTRIES = {
    # table name in the database -> file (or, for the plans, folder) in data/
    "ref_indicators": "indicators.csv",
    "ref_standards": "indicator_standards.csv",
    "ref_plan_files": "plans",
    "ref_designation_kinds": "designation_kinds.csv",
}
PLANS_DIR = DATA_DIR / "plans"
COMMON = "common"  # data/plans/common/: the national-standard targets (G1–G7)
PLAN_FILE = "targets.csv"
# The county whose plan a caller without a county means (the demo, and every single-county
# database made before issue 16). Callers that know their county pass it.
DEFAULT_COUNTY = "440783"
# The columns of a plan registry (targets.csv), in file order.
TARGET_COLUMNS = (
    "target_id", "group_zh", "plan_clause", "wording", "indicator_key", "scope", "comparator", "goal", "unit",
    "deadline", "baseline_year", "kind", "owner", "deadline_note", "owner_note", "measure_note", "round_ends",
)  # fmt: skip
# Where a county's targets come from (plan_source; the pages' words).
PLAN_SOURCES = {
    "upload": "本县方案（管理员上传的目标登记表）",
    "file": "本县方案（看板内置的本县目标登记表）",
    "common": "仅通用目标（国家标准）",
}


def _read(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.apply(lambda s: s.str.strip())


def plan_files() -> list[Path]:
    """Every plan registry: data/plans/<adcode>/targets.csv and data/plans/common/targets.csv."""
    return sorted(PLANS_DIR.glob(f"*/{PLAN_FILE}"))


def reference_files() -> list[Path]:
    """The files the registry tables are loaded from (reference_version fingerprints them)."""
    files = [DATA_DIR / name for table, name in REGISTRIES.items() if table != "ref_plan_files"]
    return files + plan_files()


def source_file(table: str, county: str | None = None) -> str:
    """The file a registry table is read from, relative to data/ (for titles and captions)."""
    if table in ("ref_targets", "ref_plan_files"):
        county = county or DEFAULT_COUNTY
        return f"plans/{county if has_plan_file(county) else COMMON}/{PLAN_FILE}"
    return REGISTRIES[table]


def _plan_file_rows() -> pd.DataFrame:
    """All plan files in one frame: their columns, then county (an adcode or 'common'), plan_set
    ('own' or 'common') and ord (row index in its file)."""
    frames = []
    for path in plan_files():
        df = _read(path)[list(TARGET_COLUMNS)]
        county = path.parent.name
        df["county"] = county
        df["plan_set"] = "common" if county == COMMON else "own"
        df["ord"] = range(len(df))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@cache
def load(table: str) -> pd.DataFrame:
    if table == "ref_plan_files":
        return _plan_file_rows()
    if table == "ref_targets":  # the registry callers without a county mean (the demo plan)
        return targets()
    df = _read(DATA_DIR / REGISTRIES[table])
    if table == "ref_standards":
        df["value"] = pd.to_numeric(df["value"])
    if table == "ref_indicators":
        df["scale"] = pd.to_numeric(df["scale"].replace("", "1"))
    return df


def indicators() -> pd.DataFrame:
    return load("ref_indicators")


def standards() -> pd.DataFrame:
    return load("ref_standards")


def targets(county: str | None = None) -> pd.DataFrame:
    """The plan file's targets of a county (targets.csv columns): its own registry
    data/plans/<adcode>/targets.csv, else the common targets G1–G7. An uploaded registry lives in
    the database (plan_targets); ask the database's ref_targets for what a county is held to."""
    county = county or DEFAULT_COUNTY
    rows = load("ref_plan_files")
    own = rows[(rows["county"] == county) & (rows["plan_set"] == "own")]
    chosen = own if len(own) else rows[rows["plan_set"] == "common"]
    return chosen[list(TARGET_COLUMNS)].reset_index(drop=True)


def common_targets() -> pd.DataFrame:
    """G1–G7: the national-standard targets every county is held to and compared on."""
    return targets(COMMON)


def has_plan_file(county: str) -> bool:
    return (PLANS_DIR / county / PLAN_FILE).is_file()


def plan_rows(counties, uploaded: pd.DataFrame | None = None) -> pd.DataFrame:
    """ref_targets as a frame (the SQL in queries/derived/08_plans.sql builds the same table in
    the database): for each county, its uploaded rows (uploaded: targets.csv columns plus
    county), else its plan file, else the common targets; columns: targets.csv's, then county,
    plan_set ('own' | 'common') and ord (row index in its source)."""
    frames = []
    for county in counties:
        up = uploaded[uploaded["county"] == county] if uploaded is not None else None
        if up is not None and len(up):
            df, plan_set = up[list(TARGET_COLUMNS)].copy(), "own"
        elif has_plan_file(county):
            df, plan_set = targets(county).copy(), "own"
        else:
            df, plan_set = common_targets().copy(), "common"
        df["county"], df["plan_set"], df["ord"] = county, plan_set, range(len(df))
        frames.append(df.reset_index(drop=True))
    if not frames:
        return pd.DataFrame(columns=[*TARGET_COLUMNS, "county", "plan_set", "ord"])
    return pd.concat(frames, ignore_index=True)


def plan_source(county: str, uploaded: bool = False) -> str:
    """'upload', 'file' or 'common' (keys of PLAN_SOURCES)."""
    if uploaded:
        return "upload"
    return "file" if has_plan_file(county) else "common"


def designation_kinds() -> pd.DataFrame:
    return load("ref_designation_kinds")


def city_keys() -> set[str]:
    ind = indicators()
    return set(ind.loc[ind["level"] == "city", "key"])


def standard(key: str, scope: str) -> float:
    """One threshold; raises KeyError when the registry lacks it (never a silent default)."""
    st = standards()
    hit = st[(st["indicator_key"] == key) & (st["scope"] == scope)]
    if hit.empty:
        raise KeyError(f"{key}@{scope}")
    return float(hit["value"].iloc[0])
