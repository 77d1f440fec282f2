"""城乡教育均衡监测看板 — the package behind the dashboard: import, metrics, queries, charts."""

__version__ = "0.1.0"
