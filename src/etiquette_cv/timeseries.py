"""Splitting series into runs: the one helper every stage uses to cut a series at label changes, gaps and NaN.

Runs are half-open index ranges ``[start, end)``; times are seconds.
"""

from __future__ import annotations

import math

import numpy as np


def label_runs(labels: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges [a, b) of equal consecutive labels (any dtype, objects included)."""
    out, a = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[a]:
            out.append((a, i))
            a = i
    return out


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges [a, b) where a boolean mask is True."""
    m = np.asarray(mask, dtype=bool)
    return [(a, b) for a, b in label_runs(m) if m[a]]


def finite_runs(t_s: np.ndarray, values: np.ndarray, max_gap_s: float = math.inf) -> list[tuple[int, int]]:
    """Index ranges [start, end) of consecutive finite values with no time step over ``max_gap_s`` seconds."""
    t = np.asarray(t_s, dtype=float)
    out: list[tuple[int, int]] = []
    for a, b in true_runs(np.isfinite(np.asarray(values, dtype=float))):
        cuts = (np.flatnonzero(np.diff(t[a:b]) > max_gap_s) + a + 1).tolist()
        edges = [a, *cuts, b]
        out += list(zip(edges[:-1], edges[1:]))
    return out


def median_step_s(t_s: np.ndarray) -> float:
    """The median time step (seconds) between consecutive samples: the sampling interval of a series analysed at a
    steady rate (NaN with fewer than two distinct times)."""
    t = np.asarray(t_s, dtype=float)
    steps = np.diff(t[np.isfinite(t)])
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else math.nan
