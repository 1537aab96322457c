"""The trunk fit's standing bound: a standing trunk is never read as leaning back further than the rulebook allows
(the mirror solution of a bow seen from the front); an anchored fit weighs the hip landmarks as the rulebook says."""

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


def _reception_like_fitter(weight: float) -> tuple[TrunkFitter, np.ndarray]:
    """A front-oblique camera 2.7 m high, 6.8 m from the clerk (the reception sample's view)."""
    cam = VirtualCamera.look_at([3.5, 5.0, 2.7], [0.0, -0.85, 1.1], 50.0, 1280, 720)
    place = PersonPlace(np.array([0.0, -0.85]), np.array([0.0, 1.0]))
    fitter = TrunkFitter(cam, place, settings=FitSettings(anchored_hip_weight=weight))
    return fitter, np.array([0.0, -0.85, fitter.dims.standing_hip_height_m])


def _hips_jump(pose: PersonPose, dy_px: float) -> PersonPose:
    """The same pose with both hip landmarks moved ``dy_px`` up in the image (shoulders and ears where they were)."""
    xy = pose.image_xy_px.copy()
    xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 1] -= dy_px
    return PersonPose(1, "clerk", xy, pose.image_z, pose.world_xyz_m, pose.visibility, pose.presence)


def test_an_anchored_fit_weighs_the_hips_as_set_and_a_hip_jump_is_not_a_bow():
    # MediaPipe's hips jump on single frames (reception sample: 14 px up, shoulders and ears still). With the hips
    # anchored, the anchor must hold them in proportion to the rulebook's anchored_hip_weight: a setting that was
    # not applied (the image weights were taken before the anchor's) makes every weight read the same.
    reads = {}
    for weight in (0.2, 0.5, 1.0):
        fitter, anchor = _reception_like_fitter(weight)
        upright = _pose_from_model(fitter, np.array([*anchor, 0.0, 0.0]))
        assert abs(fitter.fit(upright, "stand", hip_anchor_m=anchor).flexion_deg) < 0.5
        reads[weight] = fitter.fit(_hips_jump(upright, 14.0), "stand", hip_anchor_m=anchor).flexion_deg
    assert reads[0.2] < reads[0.5] < reads[1.0]
    assert reads[0.2] < 9.0  # below the greeting bow's band: a jump of the hips alone is not a bow
    # and a real bow is read as deep whatever the hips' weight (they stay where they were)
    for weight in (0.2, 1.0):
        fitter, anchor = _reception_like_fitter(weight)
        bow = _pose_from_model(fitter, np.array([*anchor, np.radians(15.0), 0.0]))
        assert abs(fitter.fit(bow, "stand", hip_anchor_m=anchor).flexion_deg - 15.0) < 0.5
