"""The map picture of the meeting deck: the map figure with larger type for a slide, drawn to
PNG by Kaleido in the Debian chromium, in a background thread started before the slides.

This is the only picture in the deck; when no browser is available or drawing fails, the map
slide says so instead (``MapRenderer.note``).
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import threading
import time
from copy import deepcopy
from pathlib import Path

from edubalance.store.paths import STATIC_DIR


def _browser() -> str | None:
    path = os.environ.get("BROWSER_PATH")
    if path and Path(path).exists():
        return path
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def export_figure(fig):
    """The map figure with larger type for a slide."""
    fig = deepcopy(fig)
    fig.update_traces(textfont_size=22, selector={"type": "scattergeo", "mode": "text"})
    fig.update_traces(
        colorbar={"len": 0.45, "thickness": 16, "title": {"font": {"size": 18}}}, selector={"type": "choropleth"}
    )
    fig.update_annotations(font_size=15)
    fig.update_layout(
        font={"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": 16},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="white",
    )
    return fig


MAP_OPTS = {"format": "png", "width": 940, "height": 800, "scale": 2}


class MapRenderer:
    """Draws one figure to PNG with kaleido in a background thread.

    The browser is started when the renderer is created, before the figure exists: starting
    chromium and loading plotly.js is most of kaleido's time, and it overlaps the queries and
    the other slides. ``submit`` hands over the figure (or None to cancel); ``result`` waits.
    """

    def __init__(self, timeout: float = 90):
        self.png: bytes | None = None
        self.note = ""
        self.seconds = 0.0
        self._timeout = timeout
        self._fig: queue.Queue = queue.Queue()
        self._done = threading.Event()
        self._t0 = time.perf_counter()
        browser = _browser()
        if browser is None:
            self.note = "本机没有可用的浏览器（chromium），地图未能生成图片；请在看板“地图”页查看。"
            self._done.set()
            self._thread = None
            return
        os.environ["BROWSER_PATH"] = browser
        self._thread = threading.Thread(target=self._run, name="deck-map", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # noqa: BLE001 — a meeting deck must still be produced
            if self.png is None and not self.note:
                self.note = f"地图图片生成失败（{type(exc).__name__}），请在看板“地图”页查看。"
        finally:
            self.seconds = time.perf_counter() - self._t0
            self._done.set()

    async def _main(self) -> None:
        # Kaleido is imported here, not at the top: only a deck with its map picture needs it,
        # and importing its browser-control stack takes about 0.7 s that the 汇报导出 page and
        # the workbook export should not pay. Failing here (a broken install) still gives a
        # deck, whose map slide says why.
        import kaleido

        # MathJax off and the local (empty) world topology: no request to any CDN.
        async with kaleido.Kaleido(n=1, mathjax=False, timeout=60) as k:
            fig = await asyncio.to_thread(self._fig.get, True, self._timeout)
            if fig is None:
                return
            png = await k.calc_fig(fig, opts=MAP_OPTS, topojson=(STATIC_DIR / "topojson").as_uri() + "/")
            self.png = bytes(png)
            self.seconds = time.perf_counter() - self._t0
            self._done.set()  # the deck can go on while the browser closes

    def submit(self, fig) -> None:
        self._fig.put(None if fig is None else export_figure(fig))

    def result(self, timeout: float | None = None) -> tuple[bytes | None, str]:
        if not self._done.wait(self._timeout if timeout is None else timeout) and not self.note:
            self.note = "地图图片生成超时，请在看板“地图”页查看。"
        return self.png, self.note

    def close(self, timeout: float = 10) -> None:
        """Wait (briefly) for the browser to shut down."""
        if self._thread is not None:
            self._fig.put(None)  # unblock a renderer that never got a figure
            self._thread.join(timeout)


def map_png(fig) -> tuple[bytes | None, str]:
    """The figure as PNG bytes through kaleido, or (None, reason) when it cannot be drawn."""
    r = MapRenderer()
    r.submit(fig)
    out = r.result()
    r.close()
    return out
