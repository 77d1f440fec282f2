"""What pages send to the browser stays bounded for a large county: tables show their first
rows (downloads keep all), the compliance heatmap shows the schools furthest from the rule."""

import pandas as pd
from streamlit.testing.v1 import AppTest

from edubalance.metrics import summaries


def _table_page(rows: int):
    import pandas as pd

    from edubalance.ui import widgets

    widgets.table(pd.DataFrame({"school_id": [f"S{i:05d}" for i in range(rows)], "students": range(rows)}), "学校", "t")


def test_a_long_table_shows_its_first_rows_and_says_so():
    at = AppTest.from_function(_table_page, args=(2500,), default_timeout=60).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == 2000 and shown.iloc[-1, 0] == "S01999"
    assert any("共 2,500 行" in c.value and "前 2,000 行" in c.value for c in at.caption)


def test_a_short_table_is_shown_whole_without_a_note():
    at = AppTest.from_function(_table_page, args=(30,), default_timeout=60).run()
    assert len(at.dataframe[0].value) == 30
    assert not [c for c in at.caption if "此处显示" in c.value]


def _comp(segments):
    rows = []
    for sid, stage, met, low in segments:
        for k in range(7):
            rows.append({"school_id": sid, "stage": stage, "indicator": f"i{k}", "met_count": met, "min_ratio": low})
    return pd.DataFrame(rows)


def test_weakest_schools_are_fewest_met_then_lowest_ratio():
    comp = _comp(
        [
            ("A", "小学", 6, 0.90),
            ("B", "小学", 3, 0.70),
            ("B", "初中", 3, 0.50),  # the same school's other segment is a separate row
            ("C", "初中", 5, 0.20),
            ("D", "小学", 3, 0.70),
        ]
    )
    got = summaries.weakest_schools(comp, 3)
    assert set(zip(got["school_id"], got["stage"])) == {("B", "初中"), ("B", "小学"), ("D", "小学")}
    assert len(got) == 21  # every indicator row of the kept segments
