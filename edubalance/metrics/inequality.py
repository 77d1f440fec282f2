"""Reference implementations of the inequality measures (docs/METHODS.md, 差异系数 and 泰尔指数).

The dashboard computes these in SQL; these plain functions are the independent check the
tests hold the SQL to, and serve the what-if and benchmark code.
"""

from __future__ import annotations

import numpy as np


def weighted_cv(resources, pupils, k: float = 1.0) -> float:
    """Official 差异系数: X̄ = k·ΣR/ΣP, S = √(Σ(P_i/P)(X_i − X̄)²), CV = S/X̄."""
    r = np.asarray(resources, dtype=float)
    p = np.asarray(pupils, dtype=float)
    keep = p > 0
    r, p = r[keep], p[keep]
    total = p.sum()
    mean = k * r.sum() / total
    x = k * r / p
    sd = np.sqrt(np.sum(p / total * (x - mean) ** 2))
    return float(sd / mean)


def theil_t(values, weights, groups=None) -> dict:
    """Theil T (GE(1)) with exact between/within decomposition; x·ln x → 0 at x = 0."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    mu = np.sum(w * x) / w.sum()

    def _t(xs, ws, m):
        s = xs / m
        return float(np.sum(ws / ws.sum() * np.where(s > 0, s * np.log(np.where(s > 0, s, 1)), 0.0)))

    total = _t(x, w, mu)
    if groups is None:
        return {"total": total}
    g = np.asarray(groups)
    between = within = 0.0
    for key in dict.fromkeys(g.tolist()):
        m = g == key
        wg, xg = w[m], x[m]
        mu_g = np.sum(wg * xg) / wg.sum()
        share = np.sum(wg * xg) / (w.sum() * mu)
        within += share * _t(xg, wg, mu_g) if mu_g > 0 else 0.0
        between += share * np.log(mu_g / mu) if mu_g > 0 else 0.0
    return {"total": total, "between": float(between), "within": float(within)}
