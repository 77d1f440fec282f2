"""Several counties in one database: the scope (?city=&county=), every county page for 恩平,
县域对比 at province and city scope, 总览 of a city listing the lagging counties; and with one
county, none of it shows."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from edubalance.access import accounts, auth
from edubalance.metrics import counties as county_metrics
from edubalance.store import db as dbmod
from edubalance.ui.navigation import PAGES
from tests.support.apptest import ROOT, render_page
from tests.support.two_counties import ENPING, KAIPING, two_county_db  # noqa: F401

SCOPE_LABELS = {"市", "县（市、区）"}
COUNTY_PAGES = [p.path for p in PAGES if p.url_path not in ("login", "admin", "counties")]


@pytest.fixture
def nobody(tmp_path, monkeypatch):
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    monkeypatch.delenv("EDUBALANCE_REQUIRE_LOGIN", raising=False)
    monkeypatch.setenv(auth.SECRETS_ENV, str(tmp_path / "secrets.toml"))
    monkeypatch.setenv(accounts.ACCOUNTS_ENV, str(tmp_path / "accounts.sqlite"))


@pytest.fixture
def two(two_county_db, monkeypatch):  # noqa: F811
    monkeypatch.setenv("EDUBALANCE_DB", str(two_county_db))
    return two_county_db


def _registered(at: AppTest) -> set[str]:
    return {Path(p["script_path"]).name for p in at._registered_pages.values()}


def _param(at: AppTest, key: str):
    """A URL parameter's value (AppTest keeps a list once the page wrote it); None if absent."""
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "title", "subheader") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


# ---- one county: nothing changes -------------------------------------------------------------


def test_one_county_has_no_scope_widget_and_no_comparison_page(demo_db, nobody, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert "overview.py" in _registered(at) and "counties.py" not in _registered(at)
    at = render_page("views/overview.py")
    assert not SCOPE_LABELS & {s.label for s in at.selectbox}
    assert "city" not in at.query_params and "county" not in at.query_params  # nothing written
    assert [t.value for t in at.title] == ["总览"]
    # 县域对比 opened by its address: says why there is nothing to compare.
    at = render_page("views/counties.py")
    assert any("只有一个县" in i.value for i in at.info)


# ---- two counties -----------------------------------------------------------------------------


def test_the_comparison_page_is_listed_with_two_counties(two, nobody):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert "counties.py" in _registered(at)


@pytest.mark.parametrize("path", COUNTY_PAGES)
def test_every_county_page_renders_for_the_second_county(two, path):
    at = render_page(path, county=ENPING)
    assert {"市", "县（市、区）"} <= {s.label for s in at.selectbox}
    assert (_param(at, "county"), _param(at, "city")) == (ENPING, ENPING[:4])
    assert not any(s.label == "请选择县（市、区）" for s in at.selectbox)  # the page itself ran
    assert not at.error, [e.value for e in at.error]


def test_a_county_page_in_province_scope_asks_for_a_county(two):
    at = render_page("views/balance.py")
    pick = next(s for s in at.selectbox if s.label == "请选择县（市、区）")
    assert set(pick.options) == {"开平市", "恩平市"}
    assert not at.title  # the page stopped before its content
    pick.set_value(ENPING).run()
    assert not at.exception
    assert _param(at, "county") == ENPING
    assert [t.value for t in at.title] == ["义务教育优质均衡"]


def test_unknown_scope_values_are_dropped_and_never_shown(two):
    hostile = "<b>440799</b>"
    at = render_page("views/map.py", county=hostile, city="9999")
    assert "county" not in at.query_params and "city" not in at.query_params
    assert hostile not in _texts(at) and "440799" not in _texts(at)
    assert any(s.label == "请选择县（市、区）" for s in at.selectbox)


@pytest.mark.parametrize("params", [{}, {"city": "4407"}, {"county": KAIPING}])
def test_county_comparison_shows_both_counties(two, params):
    at = render_page("views/counties.py", **params)
    ranking = next(d.value for d in at.dataframe if "排名" in d.value.columns)
    assert set(ranking["县级区划代码"]) == {KAIPING, ENPING}
    assert set(ranking["县（市、区）"]) == {"开平市", "恩平市"}
    assert list(ranking["排名"]) == sorted(ranking["排名"])
    assert len(at.get("plotly_chart")) == 1  # the map; the ranking is the first view
    if params.get("county"):
        assert "当前县（市、区）：开平市" in _texts(at)


def test_city_overview_lists_the_lagging_counties_worst_first(two):
    at = render_page("views/overview.py", city="4407")
    assert [t.value for t in at.title] == ["总览：江门市"]
    year = int(_param(at, "year"))
    cv = dbmod.run("county_balance_cv", {"year": year, "scope": "4407"}, db=two)
    targets = dbmod.run("county_targets", {"year": year, "scope": "4407"}, db=two)
    lag = county_metrics.lagging(cv, targets)
    assert len(lag), "the fixture's counties should miss something on the common targets"
    heading = next(s.value for s in at.subheader if s.value.startswith("需要关注的县"))
    assert heading == f"需要关注的县（市、区）（{len(lag)}个）"
    # In page order: each lagging county's link (plain Markdown when run outside the app).
    names = {KAIPING: "开平市", ENPING: "恩平市"}
    links = [m.value for m in at.markdown if m.value.startswith("[") and "county=" in m.value]
    assert [link.split("]")[0][1:] for link in links] == [names[c] for c in lag["county"]]
    assert all(f"county={c}" in link for link, c in zip(links, lag["county"]))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["县（市、区）"] == "2"


def test_a_county_page_shows_that_countys_figures(two):
    """ui.data adds the scope's county to every query: 恩平's 差异系数 are the hand-computed
    oracle (equipment 1/3, degree teachers √.4/4), Kaiping's are others."""
    from tests.support.two_counties import DEGREE_CV, EQUIPMENT_CV

    def primary_cv(county):
        at = render_page("views/balance.py", county=county, year="2025")
        table = next(d.value for d in at.dataframe if "差异系数" in d.value.columns and "学段" in d.value.columns)
        assert set(table["学年"]) == {2025}
        return table[table["学段"] == "小学"].set_index("指标")["差异系数"]

    enping = primary_cv(ENPING)
    assert enping["生均教学仪器设备值"] == pytest.approx(EQUIPMENT_CV, abs=1e-12)
    assert enping["每百名学生拥有高于规定学历教师数"] == pytest.approx(DEGREE_CV, abs=1e-12)
    assert len(enping) == 5  # no 骨干教师 or 体育艺术教师 in the fixture: those two CVs are undefined
    assert primary_cv(KAIPING)["生均教学仪器设备值"] != pytest.approx(EQUIPMENT_CV, abs=1e-6)


@pytest.mark.parametrize(
    ("view", "charts", "heading"),
    [("cv", 3, "义务教育校际差异系数"), ("targets", 2, "共同目标"), ("gap", 2, "城乡差距")],
)
def test_county_comparison_views(two, view, charts, heading):
    # one view at a time below the map (each chart has a row per county: 122 for the province)
    at = render_page("views/counties.py", view=view)
    assert len(at.get("plotly_chart")) == charts
    assert [s.value for s in at.subheader if s.value.startswith(heading)]
    assert not [d for d in at.dataframe if "排名" in d.value.columns]
