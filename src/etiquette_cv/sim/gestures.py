"""Synthetic arm gestures as MediaPipe-like world landmarks, with their truth (numpy only).

A person stands facing the camera (MediaPipe world axes: x right, y down, z away from the camera, origin between
the hips; the person's left is +x, up is −y, forward is −z). Each segment of a sequence holds one arm pose — a
gesture (``indicate``, ``hand_over``, ``wave``) or a distractor that must not be read as one (``rest``,
``folded``: hands together at the belly; ``static_raise``: a forearm raised and held still, as when touching the
hair; ``one_arm_forward``: one hand forward, the other down; ``reach_down``: one arm slightly out, low) — with
transitions blended over 0.3 s and Gaussian noise on every landmark. Indicating and waving use the DB 表4 geometry of
:mod:`.arm_gestures` (the scenario body's and the renderer's), mirrored to whichever arm the segment names.

This is the material the gesture detectors are tested and benchmarked on: made by this module, not measured on
people, so it tells that the detectors do what their definitions say, not how MediaPipe sees real arms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arm_gestures import gesture_arm

UPPER_ARM_M, FOREARM_M = 0.28, 0.26
SHOULDER_Y_M, HALF_SHOULDER_M = -0.47, 0.18
LEFT, UP, FWD = np.array([1.0, 0, 0]), np.array([0, -1.0, 0]), np.array([0, 0, -1.0])
GESTURE_KINDS = ("indicate", "hand_over", "wave")
SEGMENT_KINDS = GESTURE_KINDS + ("rest", "folded", "static_raise", "one_arm_forward", "reach_down")
BLEND_S = 0.3


@dataclass(frozen=True)
class Segment:
    """One arm pose held from ``start_s`` to ``end_s`` (seconds); ``side`` +1 the left arm, −1 the right."""

    kind: str
    start_s: float
    end_s: float
    side: int = -1


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _arm_dirs(kind: str, t: float, this_side: bool, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper-arm and forearm unit directions (body axes) of one arm in a segment of ``kind``."""
    out = LEFT * (1 if side > 0 else -1)  # away from the body on this arm's side
    down = -UP
    rest = (_unit(down + 0.05 * out), _unit(down + 0.1 * FWD))
    if kind == "hand_over":   # the wrists ≈ 0.21 m apart, a document between them (the renderer's: ≈ 0.2 m)
        return _unit(down + 0.45 * FWD), _unit(FWD + 0.3 * -out + 0.05 * down)
    if kind == "folded":
        return _unit(down + 0.15 * FWD), _unit(FWD * 0.5 - out * 1.0 + 0.2 * down)
    if not this_side:
        return rest
    if kind in ("indicate", "wave"):   # DB 表4 geometry shared with the scenario body and the renderer
        upper, fore, _, _ = gesture_arm(kind, 1, t)
        to_mp = np.stack([out, FWD, UP], axis=1)   # chest axes (out = this arm's side, forward, up) → MediaPipe
        return _unit(to_mp @ upper), _unit(to_mp @ fore)
    if kind == "static_raise":
        return _unit(0.6 * out + 0.5 * FWD + 0.35 * down), _unit(UP + 0.2 * out - 0.3 * out)
    if kind == "one_arm_forward":
        return _unit(down + 0.45 * FWD), _unit(FWD + 0.05 * down)
    if kind == "reach_down":
        d = _unit(np.cos(np.radians(20)) * down + np.sin(np.radians(20)) * out)
        return d, d
    return rest


def _pose(kind: str, t: float, side: int) -> np.ndarray:
    """(33, 3) world landmarks of one arm pose at time ``t``."""
    w = np.zeros((33, 3))
    w[23], w[24] = (0.1, 0, 0), (-0.1, 0, 0)
    w[11], w[12] = (HALF_SHOULDER_M, SHOULDER_Y_M, 0), (-HALF_SHOULDER_M, SHOULDER_Y_M, 0)
    w[0] = (0, SHOULDER_Y_M - 0.2, -0.08)
    w[7], w[8] = (0.08, SHOULDER_Y_M - 0.18, 0.0), (-0.08, SHOULDER_Y_M - 0.18, 0.0)
    for sh, el, wr, s in ((11, 13, 15, 1), (12, 14, 16, -1)):
        up_dir, fore_dir = _arm_dirs(kind, t, s == side, s)
        w[el] = w[sh] + UPPER_ARM_M * up_dir
        w[wr] = w[el] + FOREARM_M * fore_dir
        for k in (17, 19, 21) if s > 0 else (18, 20, 22):
            w[k] = w[wr] + 0.06 * fore_dir
    for k, (x, y) in {25: (0.1, 0.45), 26: (-0.1, 0.45), 27: (0.1, 0.88), 28: (-0.1, 0.88)}.items():
        w[k] = (x, y, 0)
    return w


def gesture_sequence(segments: list[Segment], fps: float = 10.0, noise_m: float = 0.015, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Times (N,) in seconds and world landmarks (N, 33, 3) in metres of a sequence of segments (rest outside
    them), transitions blended over :data:`BLEND_S`, Gaussian noise of ``noise_m`` on every landmark."""
    rng = np.random.default_rng(seed)
    end = max(s.end_s for s in segments) + 1.0 if segments else 1.0
    t = np.arange(0.0, end, 1.0 / fps)
    out = np.empty((len(t), 33, 3))
    for i, ti in enumerate(t):
        cur = next((s for s in segments if s.start_s <= ti < s.end_s), None)
        pose = _pose(cur.kind, ti, cur.side) if cur else _pose("rest", ti, -1)
        if cur is not None and ti - cur.start_s < BLEND_S:  # blend in from rest
            a = (ti - cur.start_s) / BLEND_S
            pose = a * pose + (1 - a) * _pose("rest", ti, -1)
        out[i] = pose + rng.normal(0.0, noise_m, (33, 3))
    return t, out


def random_segments(rng: np.random.Generator, count: int, gap_s: tuple[float, float] = (1.0, 3.0)) -> list[Segment]:
    """``count`` segments of random kinds (gestures and distractors alike), 1.5–4 s each, random gaps."""
    t, out = 0.5, []
    for _ in range(count):
        kind = SEGMENT_KINDS[int(rng.integers(len(SEGMENT_KINDS)))]
        dur = float(rng.uniform(1.5, 4.0))
        out.append(Segment(kind, t, t + dur, int(rng.choice([-1, 1]))))
        t += dur + float(rng.uniform(*gap_s))
    return out
