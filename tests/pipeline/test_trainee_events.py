"""The trainee's gestures as the scorer takes them (pipeline/trainee_events.py): gestures the stance rules out."""

from __future__ import annotations

import numpy as np

from etiquette_cv.core import FramePoses, PersonPose
from etiquette_cv.pipeline.trainee_events import _gestures
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.sim.gestures import Segment, gesture_sequence


def _frames(kind: str) -> tuple[list[FramePoses], np.ndarray]:
    t, world = gesture_sequence([Segment(kind, 1.0, 4.0)], noise_m=0.01, seed=4)
    xy = np.full((33, 2), [640.0, 360.0])
    return [FramePoses(i, float(ti), 1280, 720,
                       [PersonPose(1, "unknown", xy, np.zeros(33), w, np.ones(33), np.ones(33))])
            for i, (ti, w) in enumerate(zip(t, world))], t


def test_an_indicating_arm_counts_standing_and_not_seated():
    """Tuning role-play t311: seated, forearms resting on the desk read as an arm extended and raised 55–70° (elbow
    110–157°), a false indicating gesture; like the hand-over, an indicating gesture is looked for only standing."""
    rb = load_rulebook()
    frames, t = _frames("indicate")
    standing = [g.kind for g in _gestures(frames, 1, rb, None, t, np.ones(len(t), bool))]
    seated = [g.kind for g in _gestures(frames, 1, rb, None, t, np.zeros(len(t), bool))]
    assert standing == ["indicate"] and seated == []
