"""The trunk fit's standing bound: a standing trunk is never read as leaning back further than the rulebook allows
(the mirror solution of a bow seen from the front)."""

from __future__ import annotations

import numpy as np

from etiquette_cv.core import NUM_LANDMARKS, Landmark, PersonPose
from etiquette_cv.posture.trunk_fit import FitSettings, PersonPlace, TrunkFitter
from etiquette_cv.sim.camera import VirtualCamera


def _pose_from_model(fitter: TrunkFitter, params: np.ndarray) -> PersonPose:
    pts = fitter.model_points(params, fitter.dims)  # L/R shoulder, L/R hip, head
    cam = pts @ fitter.R.T + fitter.t
    px = (cam[:, :2] / cam[:, 2:3]) * fitter.K[0, 0] + fitter.K[:2, 2]
    xy = np.zeros((NUM_LANDMARKS, 2))
    vis = np.zeros(NUM_LANDMARKS)
    for k, lm in enumerate([Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP]):
        xy[lm], vis[lm] = px[k], 1.0
    for lm in (Landmark.LEFT_EAR, Landmark.RIGHT_EAR):
        xy[lm], vis[lm] = px[4], 1.0
    return PersonPose(1, "clerk", xy, np.zeros(NUM_LANDMARKS), np.zeros((NUM_LANDMARKS, 3)), vis, vis.copy())


def test_standing_never_reads_a_lean_back_beyond_the_bound_seated_may():
    cam = VirtualCamera.look_at([0.0, 3.5, 2.6], [0.0, -0.7, 1.1], 60.0, 1280, 720)
    place = PersonPlace(np.array([0.0, -0.7]), np.array([0.0, 1.0]))
    settings = FitSettings()
    fitter = TrunkFitter(cam, place, settings=settings)
    d = fitter.dims
    seated = fitter.fit(_pose_from_model(fitter, np.array([0.0, -0.7, d.seated_hip_height_m, np.radians(-35.0), 0])),
                        "sit")
    standing = fitter.fit(_pose_from_model(fitter, np.array([0.0, -0.7, d.standing_hip_height_m, np.radians(-35.0),
                                                             0.0])), "stand")
    assert abs(seated.flexion_deg - (-35.0)) < 2.0  # the weak upright prior pulls a little
    assert standing.flexion_deg >= settings.min_standing_flexion_deg - 1e-6
    # a real bow from the same camera is still read as a bow when standing
    bow = fitter.fit(_pose_from_model(fitter, np.array([0.0, -0.7, d.standing_hip_height_m, np.radians(25.0), 0.0])), "stand")
    assert abs(bow.flexion_deg - 25.0) < 1.0
