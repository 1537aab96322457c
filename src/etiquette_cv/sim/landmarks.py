"""Synthetic MediaPipe pose output: a scenario's kinematic bodies seen through a virtual camera.

``synthesize`` returns the same ``FramePoses`` / ``PersonPose`` objects the real pose stage produces, with
seeded pixel noise, occlusion by the counter, random dropouts and MediaPipe's habit of inventing hidden limbs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..core import NUM_LANDMARKS, FramePoses, PersonPose
from .body import DEFAULT_DESK_HEIGHT_M, Body, joint_positions_m
from .camera import VirtualCamera
from .scenario import CounterSpec, PoseParams, Scenario

__all__ = ["Box", "counter_boxes", "occluded_mask", "synthesize", "HIDDEN_MODES"]

HIDDEN_MODES = ("invent", "low_visibility")
MIN_LANDMARKS_IN_IMAGE = 8
"""A person with fewer landmarks inside the frame than this is not reported (the detector would miss them)."""
FRONT_PANEL_DEPTH_M = 0.05
"""Thickness of the counter's customer-side front panel (full counter height) used as an occluder."""

_LEG_LANDMARKS = np.arange(25, 33)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box occluder in world metres."""

    min_m: np.ndarray
    """(3,) lower corner (x, y, z)."""
    max_m: np.ndarray
    """(3,) upper corner (x, y, z)."""


def counter_boxes(counter: CounterSpec | None) -> list[Box]:
    """Occluder boxes of a straight counter: the customer-side front panel up to the counter height and the
    clerk's desk block (with its modesty panel) from the front edge back ``depth_m`` up to the desk height."""
    if counter is None:
        return []
    return [
        Box(np.array([counter.x0_m, -FRONT_PANEL_DEPTH_M, 0.0]), np.array([counter.x1_m, 0.0, counter.height_m])),
        Box(np.array([counter.x0_m, -counter.depth_m, 0.0]), np.array([counter.x1_m, 0.0, counter.desk_height_m])),
    ]


def occluded_mask(camera_pos_m: np.ndarray, points_m: np.ndarray, boxes: Iterable[Box]) -> np.ndarray:
    """Boolean (N,) mask of world points (N, 3) whose line of sight from the camera crosses any box (a point
    inside a box counts as hidden)."""
    pts = np.asarray(points_m, dtype=float)
    c = np.asarray(camera_pos_m, dtype=float)
    hidden = np.zeros(len(pts), bool)
    d = pts - c  # segment c + s·d, s in [0, 1)
    for box in boxes:
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (box.min_m - c) / d
            t2 = (box.max_m - c) / d
        lo = np.where(np.isnan(t1), -np.inf, np.minimum(t1, t2))
        hi = np.where(np.isnan(t2), np.inf, np.maximum(t1, t2))
        # rays parallel to a slab: inside the slab → unconstrained, outside → never
        par = d == 0
        inside_slab = (c >= box.min_m) & (c <= box.max_m)
        lo = np.where(par, np.where(inside_slab, -np.inf, np.inf), lo)
        hi = np.where(par, np.where(inside_slab, np.inf, -np.inf), hi)
        s_in = lo.max(axis=1)
        s_out = hi.min(axis=1)
        hidden |= (s_in <= s_out) & (s_out > 0.0) & (s_in < 1.0 - 1e-9)
    return hidden


def synthesize(
    scenario: Scenario,
    camera: VirtualCamera | None = None,
    noise_px: float = 1.0,
    dropout: float = 0.0,
    occluders: Sequence[Box] | None = None,
    seed: int = 0,
    hidden_mode: str = "low_visibility",
    noise_world_m: float = 0.0,
    times_s: Sequence[float] | None = None,
) -> list[FramePoses]:
    """One ``FramePoses`` per frame time (``scenario.times()`` unless ``times_s``) with a ``PersonPose`` per
    scripted person in view, as the real pose stage would report them.

    image_xy_px: projection + N(0, noise_px²) pixel noise. world_xyz_m: camera axes (x right, y down, z away),
    metres, origin at the hip midpoint, + N(0, noise_world_m²). image_z: depth relative to the hip midpoint in
    units of the image width (MediaPipe's normalised-x scale). Hidden landmarks — behind ``occluders`` (default:
    the scenario counter), dropped out with probability ``dropout`` per landmark and frame, or outside the image —
    get visibility 0.1–0.3 (presence 0.05–0.2 when outside the image); every other landmark has visibility and
    presence 1.0. With ``hidden_mode="invent"`` hidden landmarks
    are reported the way MediaPipe guesses them: confident visibility 0.6–0.95 at invented positions (hidden legs
    are drawn standing straight below the hips, other hidden points scattered by ~15 cm); dropouts are always
    scattered. track_id is the person's index in the scenario; role is "clerk" (at station "clerk") or "customer".
    """
    if hidden_mode not in HIDDEN_MODES:
        raise ValueError(f"synthesize: hidden_mode: expected one of {HIDDEN_MODES}, got {hidden_mode!r}")
    if not 0.0 <= dropout <= 1.0:
        raise ValueError(f"synthesize: dropout: expected a probability in [0, 1], got {dropout!r}")
    cam = camera if camera is not None else VirtualCamera.from_spec(scenario.camera)
    counter = scenario.scene.counter
    boxes = counter_boxes(counter) if occluders is None else list(occluders)
    desk_h = counter.desk_height_m if counter is not None else DEFAULT_DESK_HEIGHT_M
    bodies = [Body.from_spec(p.body) for p in scenario.persons]
    rng = np.random.default_rng(seed)
    cam_pos = cam.position_m
    times = scenario.times() if times_s is None else np.asarray(times_s, dtype=float)

    frames: list[FramePoses] = []
    for k, t in enumerate(times):
        fp = FramePoses(frame_index=k, timestamp_s=float(t), image_width=cam.width, image_height=cam.height)
        for track_id, (person, body) in enumerate(zip(scenario.persons, bodies)):
            params = person.sample(float(t))
            joints = joint_positions_m(params, body, desk_h)
            pose = _person_pose(params, joints, body, desk_h, cam, cam_pos, boxes, rng, noise_px, noise_world_m,
                                dropout, hidden_mode)
            if pose is None:
                continue
            pose.track_id = track_id
            pose.role = "clerk" if person.role == "clerk" else "customer"
            # the simulated calibration (sim.calibrate) names its one station "clerk"
            pose.station = "clerk" if person.role == "clerk" else None
            fp.persons.append(pose)
        frames.append(fp)
    return frames


def _person_pose(params: PoseParams, joints: np.ndarray, body: Body, desk_h: float, cam: VirtualCamera,
                 cam_pos: np.ndarray, boxes: list[Box], rng: np.random.Generator, noise_px: float,
                 noise_world_m: float, dropout: float, hidden_mode: str) -> PersonPose | None:
    """The PersonPose of one person in one frame, or None if the detector would not see them."""
    n = NUM_LANDMARKS
    cam_xyz = cam.world_to_camera(joints)
    hip_cam = 0.5 * (cam_xyz[23] + cam_xyz[24])
    if hip_cam[2] <= 0.1:
        return None
    px_true = cam.project_camera(cam_xyz)
    in_img = cam.in_image(px_true)
    if int(in_img.sum()) < MIN_LANDMARKS_IN_IMAGE:
        return None

    occluded = occluded_mask(cam_pos, joints, boxes) if boxes else np.zeros(n, bool)
    dropped = rng.random(n) < dropout if dropout > 0 else np.zeros(n, bool)
    outside = ~in_img

    # invented positions (world) for hidden landmarks
    est_world = joints.copy()
    scatter = dropped.copy()
    if hidden_mode == "invent":
        hidden_legs = occluded & np.isin(np.arange(n), _LEG_LANDMARKS)
        if hidden_legs.any():
            standing = joint_positions_m(_standing_like(params), body, desk_h)
            shift = joints[[23, 24]].mean(axis=0) - standing[[23, 24]].mean(axis=0)
            est_world[hidden_legs] = standing[hidden_legs] + shift
        scatter |= occluded & ~hidden_legs
    if scatter.any():
        est_world[scatter] += rng.normal(0.0, 0.15, (int(scatter.sum()), 3))

    est_cam = cam.world_to_camera(est_world)
    px = cam.project_camera(est_cam)
    bad = ~np.isfinite(px).all(axis=1)
    px[bad] = px_true[bad] if np.isfinite(px_true[bad]).all() else 0.0
    if noise_px > 0:
        px = px + rng.normal(0.0, noise_px, (n, 2))

    world = est_cam - hip_cam
    if noise_world_m > 0:
        world = world + rng.normal(0.0, noise_world_m, (n, 3))
    image_z = (est_cam[:, 2] - hip_cam[2]) * cam.focal_px / hip_cam[2] / cam.width

    visibility = np.ones(n)
    presence = np.ones(n)
    low = dropped | outside | (occluded if hidden_mode == "low_visibility" else np.zeros(n, bool))
    visibility[low] = rng.uniform(0.1, 0.3, int(low.sum()))
    if hidden_mode == "invent":
        conf = occluded & ~dropped & ~outside
        visibility[conf] = rng.uniform(0.6, 0.95, int(conf.sum()))
    presence[outside] = rng.uniform(0.05, 0.2, int(outside.sum()))

    return PersonPose(
        track_id=0,
        role="unknown",
        image_xy_px=px,
        image_z=image_z,
        world_xyz_m=world,
        visibility=visibility,
        presence=presence,
    )


def _standing_like(p: PoseParams) -> PoseParams:
    """The same parameters standing upright with normal legs (MediaPipe's guess for legs it cannot see)."""
    from dataclasses import replace

    return replace(p, sit_blend=0.0, stance="stand", legs="normal", walk_speed_m_s=0.0, sway_offset_deg=0.0)
