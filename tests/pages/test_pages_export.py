"""AppTest of 汇报导出 in normal and presentation mode."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from edubalance.store.paths import ROOT


def _app(monkeypatch, demo_db, **params) -> AppTest:
    monkeypatch.setenv("EDUBALANCE_DB", str(demo_db))
    at = AppTest.from_file(str(ROOT / "views" / "export.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def test_normal_mode(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db)
    at.run()
    assert not at.exception
    assert any("汇报导出" in t.value for t in at.title)
    assert any("演示数据" in w.value for w in at.warning)
    assert at.selectbox(key="exp_town").options  # a town brief for every town
    assert at.toggle(key="exp_present_toggle").value is False
    at.selectbox(key="exp_preview").set_value(6).run()  # the map section as a preview
    assert not at.exception
    at.toggle(key="exp_present_toggle").set_value(True).run()
    assert not at.exception
    assert at.session_state["exp_present"] is True
    assert at.button(key="exp_next")


def test_presentation_mode_walks_every_slide(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, present="1", slide="1")
    at.run()
    assert not at.exception
    assert "stSidebar" in at.markdown[0].value  # the CSS that hides the sidebar
    assert at.button(key="exp_prev").disabled
    seen = 1
    while not at.button(key="exp_next").disabled:
        at.button(key="exp_next").click().run()
        assert not at.exception, f"slide {seen + 1}"
        seen += 1
    assert seen >= 8
    assert at.query_params["slide"] == [str(seen)] or at.query_params["slide"] == str(seen)
    at.button(key="exp_prev").click().run()
    assert not at.exception and at.session_state["exp_slide"] == seen - 1
    at.button(key="exp_exit").click().run()
    assert not at.exception
    assert any("汇报导出" in t.value for t in at.title)


def test_presentation_deep_link(monkeypatch, demo_db):
    at = _app(monkeypatch, demo_db, present="1", slide="3")
    at.run()
    assert not at.exception
    assert at.session_state["exp_slide"] == 3
    assert any("差异系数" in m.value for m in at.markdown)
