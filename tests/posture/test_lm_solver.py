"""The trunk fit's hand-written Levenberg–Marquardt against scipy.optimize.least_squares on the same problems."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import least_squares

from etiquette_cv.posture.lm_solver import levenberg_marquardt


def _batched(fun):
    """A residual function of one parameter vector made one of a batch (B, N) → (B, M)."""
    return lambda P: np.stack([fun(p) for p in np.atleast_2d(P)])


def _projection_problem(seed: int):
    """Five unknowns like the trunk fit's (a point in metres and two angles in radians) seen through a pinhole."""
    rng = np.random.default_rng(seed)
    truth = np.array([0.2, -0.1, 2.5, 0.4, -0.2])
    arms = rng.uniform(-0.3, 0.3, (8, 3))

    def points(p):
        cf, sf, cl, sl = np.cos(p[3]), np.sin(p[3]), np.cos(p[4]), np.sin(p[4])
        R = np.array([[cl, 0, sl], [0, 1, 0], [-sl, 0, cl]]) @ np.array([[1, 0, 0], [0, cf, -sf], [0, sf, cf]])
        return p[:3] + arms @ R.T

    def residual(p):
        pts = points(p)
        return (pts[:, :2] / pts[:, 2:3]).ravel() * 900.0 - observed

    observed = 0.0
    observed = residual(truth) + rng.normal(0, 0.5, 16)
    return residual, truth


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_answer_as_scipy_on_a_projection_fit(seed):
    residual, truth = _projection_problem(seed)
    x0 = np.array([0.0, 0.0, 2.0, 0.0, 0.0])
    lo, hi = np.array([-1, -1, 0.5, -1.0, -1.0]), np.array([1, 1, 5.0, 1.0, 1.0])
    x, cost = levenberg_marquardt(_batched(residual), x0, lo, hi, max_iter=100)
    ref = least_squares(residual, x0, bounds=(lo, hi), xtol=1e-12, ftol=1e-12, gtol=1e-12)
    np.testing.assert_allclose(x, ref.x, atol=2e-4)
    assert cost == pytest.approx(2 * ref.cost, rel=1e-3)  # scipy's cost is half the sum of squares


def test_bounds_hold_where_the_unbounded_optimum_lies_outside():
    """Steps are clipped to the bounds: the answer stays inside them, and near scipy's constrained optimum (a
    clipped step can stop a little short of it along the other parameters, which the trunk fit's wide bounds
    never meet in practice)."""
    def residual(p):  # optimum at (3, -2, 1), the first parameter bounded to <= 2
        return np.array([p[0] - 3.0, p[1] + 2.0, 10 * (p[2] - 1.0), p[0] * p[1] + 6.0])

    x0, lo, hi = np.zeros(3), np.array([-5.0, -5.0, -5.0]), np.array([2.0, 5.0, 5.0])
    x, cost = levenberg_marquardt(_batched(residual), x0, lo, hi, max_iter=200)
    ref = least_squares(residual, x0, bounds=(lo, hi), xtol=1e-12, ftol=1e-12, gtol=1e-12)
    assert np.all(x >= lo) and np.all(x <= hi) and x[0] == pytest.approx(2.0)
    np.testing.assert_allclose(x, ref.x, atol=0.1)
    assert 2 * ref.cost <= cost <= 1.02 * 2 * ref.cost


@pytest.mark.parametrize("bow_deg,azimuth_deg", [(0, 0.0), (30, 0.0), (45, 45.0), (60, 90.0)])
def test_trunk_fit_with_scipy_gives_the_same_angles(monkeypatch, bow_deg, azimuth_deg):
    from etiquette_cv.posture.trunk_fit import PersonPlace, TrunkFitter
    from etiquette_cv.sim.landmarks import synthesize
    from posture.test_features import FACING, STATION, _camera, _scenario

    sc = _scenario([{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "stand",
                     "trunk_flexion_deg": bow_deg, "arms": "front_folded"}], duration_s=1.0)
    cam = _camera(azimuth_deg, 20.0)
    pose = synthesize(sc, cam, noise_px=1.0, occluders=[], seed=5, times_s=np.array([0.5]))[0].by_role("clerk")[0]
    ours = TrunkFitter(cam, PersonPlace(STATION, FACING)).fit(pose, "stand")

    def scipy_solve(self, residuals, x0, stance="sit"):
        lo, hi = self.bounds(stance)
        sol = least_squares(lambda x: residuals(x[None])[0], np.clip(x0, lo, hi),
                            bounds=(lo, hi), xtol=1e-10, ftol=1e-10)
        return sol.x, float(2 * sol.cost)

    monkeypatch.setattr(TrunkFitter, "_solve", scipy_solve)
    ref = TrunkFitter(cam, PersonPlace(STATION, FACING)).fit(pose, "stand")
    assert ours.flexion_deg == pytest.approx(ref.flexion_deg, abs=0.3)
    assert ours.lateral_deg == pytest.approx(ref.lateral_deg, abs=0.3)
    np.testing.assert_allclose(ours.hip_xyz_m, ref.hip_xyz_m, atol=0.01)
