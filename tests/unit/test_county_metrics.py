"""Per-county counts for 县域对比 and the 总览 of a city: worked examples."""

import pandas as pd
import pytest

from edubalance.metrics import counties as cm


def _cv():
    # A: 2 CVs within, 1 over (0.60 / 0.50 = 1.2), 1 without a value; B: all within.
    return pd.DataFrame(
        {
            "county": ["440001", "440001", "440001", "440001", "440002", "440002"],
            "stage": ["小学", "小学", "初中", "初中", "小学", "初中"],
            "indicator": ["a", "b", "a", "b", "a", "a"],
            "cv": [0.30, 0.60, 0.40, None, 0.10, 0.45],
            "threshold": [0.50, 0.50, 0.45, 0.45, 0.50, 0.45],
            "passed": [True, False, True, None, True, True],
        }
    )


def _targets():
    return pd.DataFrame(
        {
            "county": ["440001"] * 3 + ["440002"] * 3 + ["440003"] * 3,
            "target_id": ["G1", "G2", "G10"] * 3,
            "met": [True, False, False, True, True, None, False, True, True],
            "verdict": ["已达标", "未达标", "未达标", "已达标", "已达标", "数据不足", "未达标", "已达标", "已达标"],
        }
    )


def test_cv_counts():
    got = cm.cv_counts(_cv()).set_index("county")
    assert got.loc["440001", ["within", "over", "measured"]].tolist() == [2, 1, 3]
    assert got.loc["440001", "worst_ratio"] == pytest.approx(1.2)
    assert got.loc["440002", ["within", "over", "measured"]].tolist() == [2, 0, 2]
    assert got.loc["440002", "worst_ratio"] == pytest.approx(1.0)  # at the cap is within


def test_target_and_verdict_counts():
    got = cm.target_counts(_targets()).set_index("county")
    assert got.loc["440001", ["met", "not_met", "no_data", "targets"]].tolist() == [1, 2, 0, 3]
    assert got.loc["440002", ["met", "not_met", "no_data", "targets"]].tolist() == [2, 0, 1, 3]
    long = cm.verdict_counts(_targets())
    assert set(zip(long["county"], long["status"], long["n"])) >= {("440001", "未达标", 2), ("440002", "数据不足", 1)}


def test_lagging_worst_first_with_reasons():
    names = pd.DataFrame({"county": ["440001", "440002", "440003"], "county_name": ["甲县", "乙县", "丙县"]})
    lag = cm.lagging(_cv(), _targets(), names)
    # 440001: 2 targets missed + 1 CV over; 440003: 1 missed, no CV rows; 440002: nothing.
    assert lag["county"].tolist() == ["440001", "440003"]
    assert lag["county_name"].tolist() == ["甲县", "丙县"]
    assert lag["not_met"].tolist() == [2, 1] and lag["over"].tolist() == [1, 0]
    assert lag.loc[0, "missed"] == "G2、G10"  # numeric order, not text order


def test_empty_inputs():
    empty = pd.DataFrame(columns=["county", "stage", "indicator", "cv", "threshold", "passed", "target_id", "met"])
    assert cm.lagging(empty, empty).empty
    assert cm.cv_counts(empty).empty and cm.target_counts(empty).empty
