"""Reference registries (data/*.csv): indicators, their standards, targets, designation kinds.

They are loaded into the database at every build so SQL can join against thresholds
instead of holding literals, and read here for validation and the 方法说明 page.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from edubalance.store.paths import DATA_DIR

REGISTRIES = {
    # table name in the database -> file in data/
    "ref_indicators": "indicators.csv",
    "ref_standards": "indicator_standards.csv",
    "ref_targets": "targets.csv",
    "ref_designation_kinds": "designation_kinds.csv",
}


@cache
def load(table: str) -> pd.DataFrame:
    df = pd.read_csv(DATA_DIR / REGISTRIES[table], dtype=str, keep_default_na=False)
    df = df.apply(lambda s: s.str.strip())
    if table == "ref_standards":
        df["value"] = pd.to_numeric(df["value"])
    if table == "ref_indicators":
        df["scale"] = pd.to_numeric(df["scale"].replace("", "1"))
    return df


def indicators() -> pd.DataFrame:
    return load("ref_indicators")


def standards() -> pd.DataFrame:
    return load("ref_standards")


def targets() -> pd.DataFrame:
    return load("ref_targets")


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
