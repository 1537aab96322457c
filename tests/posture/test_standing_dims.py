"""The standing body is learnt from standing frames, however long the clerk sat: a camera day is mostly seated."""

from __future__ import annotations

import numpy as np

from etiquette_cv.posture.clerk import _Frames, _standing_pass


class RecordingFitter:
    """Stands in for the trunk fitter: records which frames the body dimensions are learnt from."""

    def __init__(self):
        self.learnt_from: list = []
        self.dims = None

    def learn_dims(self, sample, stance):
        self.learnt_from = list(sample)
        return "dims"

    def fit(self, *args, **kwargs):
        return None


def frames(shoulders_m: np.ndarray) -> _Frames:
    n = len(shoulders_m)
    ones = np.ones(n, bool)
    return _Frames(poses=[float(h) for h in shoulders_m], fitted=ones, visible=ones, shoulder_m=shoulders_m,
                   head_m=np.full(n, 0.25), limbs=np.zeros((n, 5)), hands_ahead=np.zeros(n))


def test_a_day_of_sitting_does_not_teach_the_standing_body():
    rng = np.random.default_rng(0)
    seated = 1.05 + 0.03 * rng.standard_normal(2000)      # hours at the desk
    standing = 1.40 + 0.02 * rng.standard_normal(60)      # a few greetings
    fitter = RecordingFitter()
    _standing_pass(fitter, frames(np.concatenate([seated, standing])), stand_above_m=1.22)
    assert fitter.learnt_from and min(fitter.learnt_from) > 1.3    # only standing frames (before: seated ones too)


def test_a_clip_mostly_standing_still_learns_from_its_upper_half_and_a_clerk_never_standing_from_what_there_is():
    rng = np.random.default_rng(1)
    standing = 1.40 + 0.02 * rng.standard_normal(300)
    fitter = RecordingFitter()
    _standing_pass(fitter, frames(standing), stand_above_m=1.22)
    assert min(fitter.learnt_from) >= np.median(standing)
    seated_only = 1.05 + 0.03 * rng.standard_normal(300)
    fitter = RecordingFitter()
    _standing_pass(fitter, frames(seated_only), stand_above_m=1.22)
    assert fitter.learnt_from and min(fitter.learnt_from) >= np.median(seated_only)
