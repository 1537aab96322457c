"""A small bounded Levenberg–Marquardt solver for batched residual functions.

Hand-written rather than ``scipy.optimize.least_squares`` because the trunk fit runs it several times per frame on
5 unknowns: evaluating the forward-difference Jacobian in one batched call makes it about 4× faster at the same
answers (``tests/posture/test_lm_solver.py`` checks it against scipy).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

FD_STEP = 1e-6
"""Forward-difference step of the Jacobian (in the parameters' own units: metres, radians)."""


def levenberg_marquardt(residuals: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, lo: np.ndarray,
                        hi: np.ndarray, max_iter: int = 30) -> tuple[np.ndarray, float]:
    """Minimise the sum of squares of ``residuals`` from ``x0`` with every parameter kept within [lo, hi].

    ``residuals`` takes a batch of parameter vectors (B, N) and returns their residuals (B, M). Returns the solution
    (N,) and its cost (sum of squared residuals)."""
    n = len(x0)
    x = np.clip(x0, lo, hi)
    r = residuals(x[None])[0]
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(max_iter):
        steps = x + np.eye(n) * FD_STEP
        J = ((residuals(steps) - r) / FD_STEP).T
        H = J.T @ J
        g = J.T @ r
        while True:
            try:
                dx = np.linalg.solve(H + lam * (np.diag(np.diag(H)) + 1e-9 * np.eye(n)), -g)
            except np.linalg.LinAlgError:
                return x, cost
            x_new = np.clip(x + dx, lo, hi)
            r_new = residuals(x_new[None])[0]
            c_new = float(r_new @ r_new)
            if c_new < cost:
                break
            lam *= 4.0
            if lam > 1e8:
                return x, cost
        # 1e-4 of the cost is far below a pixel's worth; 1e-5 m / rad is far below what is reported
        converged = cost - c_new < 1e-4 * max(cost, 1e-12) or np.max(np.abs(x_new - x)) < 1e-5
        x, r, cost, lam = x_new, r_new, c_new, max(lam / 3.0, 1e-9)
        if converged:
            break
    return x, cost
