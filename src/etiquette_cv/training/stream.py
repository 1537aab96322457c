"""The trainee's event stream: what the scoring engine reads, built from the pipeline's events (stance changes,
bends, customer approaches) or written by hand in tests.

Everything is in seconds from the start of the recording and degrees from the vertical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core import FramePoses, PersonPose
from ..events import Approach, Bend, Gesture
from ..geometry.image_line import ImageLine
from ..posture.stance import StanceChange

EVENT_KINDS = ("stand_up", "sit_down", "bow", "indicate", "hand_over", "wave", "handshake", "hold_posture",
               "touch_hair", "head_shake", "wave_no")
AVOID_KINDS = ("touch_hair", "head_shake", "wave_no")
"""Event kinds that are gestures to avoid (DB 表4): never a scenario's step, listed on the score sheet."""


@dataclass(frozen=True)
class TraineeEvent:
    """One thing the trainee did."""

    kind: str
    """One of :data:`EVENT_KINDS`."""
    t_s: float
    """The time windows are checked against: a stand-up's onset (rulebook ``stand_point``), a bow's or gesture's
    start."""
    start_s: float
    end_s: float
    peak_angle_deg: float = math.nan
    """A bow's deepest trunk flexion."""
    peak_t_s: float = math.nan
    angle_uncertainty_deg: float = math.nan
    """± of ``peak_angle_deg`` from the view (NaN when unknown)."""
    hold_s: float = math.nan
    """A bow's time within 20 % of its peak; a held posture's length."""
    peak_hidden: bool = False
    """The trunk was out of sight at the bow's peak: it may have been deeper."""
    time_uncertainty_s: float = math.nan
    """± of ``t_s`` (seconds): a stand-up's or sit-down's point as the stance machine measured it (NaN: unknown)."""
    angle_measured: bool = True
    """A bow's angle was measured (False: the bow was found and timed, its angle not measurable from the view —
    the events' ``not_measured`` says why)."""
    angle_at_least: bool = False
    """A bow's ``peak_angle_deg`` is a lower bound only: facing the camera, a deep bow shows how deep it at least
    went, not its angle."""

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"event kind {self.kind!r} is not one of {EVENT_KINDS}")
        if not self.start_s <= self.end_s:
            raise ValueError(f"{self.kind} event ends ({self.end_s} s) before it starts ({self.start_s} s)")

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.end_s - self.start_s


@dataclass
class TraineeEvents:
    """Everything the scoring engine needs about one recording."""

    events: list[TraineeEvent]
    duration_s: float
    cues: dict[str, float | None] = field(default_factory=dict)
    """``customer_near`` / ``customer_leave``: when the customer crossed the near distance in / out (None: it did
    not happen in the recording)."""
    cue_spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Cues known only to lie within a span (seconds; :mod:`.arrival`): steps timed from them are tried across it."""
    cue_note: tuple[str, str] | None = None
    """How the cues were found, when that needs saying on the score sheet (English, Chinese)."""
    cue_problems: dict[str, str] = field(default_factory=dict)
    """Cues that cannot be measured, and why (e.g. no floor calibration)."""
    pending_cues: set[str] = field(default_factory=set)
    """Cues of ``cue_problems`` that more of the recording may still give (no customer seen stopping yet): a live
    scorer waits for them rather than deciding the steps timed from them."""
    not_measured: dict[str, str] = field(default_factory=dict)
    """Event kinds this recording cannot show, and why (e.g. no gesture detector, the trunk not observable)."""
    reasons_zh: dict[str, str] = field(default_factory=dict)
    """The Chinese of the reasons above (``cue_problems`` and ``not_measured`` values), by their English text."""
    t_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    flexion_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """The trainee's trunk-angle curve (for the score sheet)."""
    standing: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    curve_note: tuple[str, str] | None = None
    """How the trunk-angle curve was measured, when that needs saying (English, Chinese)."""
    near_m: float = 2.0
    """The rulebook's near distance (metres) whose crossings are the ``customer_near`` / ``customer_leave`` cues:
    the score sheet names it."""

    def of_kind(self, kind: str) -> list[TraineeEvent]:
        """The events of one kind, in time order."""
        return sorted((e for e in self.events if e.kind == kind), key=lambda e: e.t_s)


def stance_events(changes: list[StanceChange], stand_point: str) -> list[TraineeEvent]:
    """Stand-ups and sit-downs from the stance machine's confirmed changes, timed at ``stand_point``."""
    out = []
    for c in changes:
        start = c.at("onset")
        end = max(c.at("complete"), start)
        out.append(TraineeEvent("stand_up" if c.to_state == "stand" else "sit_down", c.at(stand_point), start, end,
                                time_uncertainty_s=c.uncertainty_s(stand_point)))
    return out


def bow_events(bends: list[Bend]) -> list[TraineeEvent]:
    """Bows from the bend detector (reaches and long stoops are not bows). A bend the recording ended in (kind
    ``unfinished``) counts as a bow whose peak may have been deeper (``peak_hidden``): a role-play often ends on
    the farewell bow."""
    return [TraineeEvent("bow", b.start_s, b.start_s, b.end_s, b.peak_deg, b.peak_t_s, b.peak_uncertainty_deg,
                         b.hold_s, b.peak_hidden or b.kind == "unfinished") for b in bends
            if b.kind in ("bow", "unfinished")]


def standing_holds(t_s: np.ndarray, standing: np.ndarray, flexion_deg: np.ndarray, upright_below_deg: float
                   ) -> list[TraineeEvent]:
    """Stretches of upright standing (standing, trunk flexion below ``upright_below_deg``) as ``hold_posture``
    events, their length in ``hold_s``."""
    ok = np.asarray(standing, bool) & np.nan_to_num(np.asarray(flexion_deg, float) < upright_below_deg)
    out, start = [], None
    for i in range(len(ok) + 1):
        if i < len(ok) and ok[i]:
            start = i if start is None else start
        elif start is not None:
            a, b = float(t_s[start]), float(t_s[i - 1])
            out.append(TraineeEvent("hold_posture", a, a, b, hold_s=b - a))
            start = None
    return out


def approach_cues(approaches: list[Approach]) -> dict[str, float | None]:
    """The first customer's crossing of the near distance in (``customer_near``) and the first crossing out after
    it (``customer_leave``), seconds."""
    near = [a.arrive_s for a in approaches if a.arrive_s is not None]
    t_near = min(near) if near else None
    leaves = [a.leave_s for a in approaches if a.leave_s is not None and (t_near is None or a.leave_s > t_near)]
    return {"customer_near": t_near, "customer_leave": min(leaves) if leaves else None}


_FEET = (27, 28, 29, 30, 31, 32)
"""Ankles, heels and toes (BlazePose indices)."""


def foot_point_px(person: PersonPose, min_visibility: float = 0.5) -> np.ndarray | None:
    """Where a person touches the floor in the image (pixels): the lowest seen ankle, heel or toe, else the bottom
    centre of the detector's box; None when neither is known."""
    seen = np.minimum(person.visibility, person.presence)[list(_FEET)] >= min_visibility
    if seen.any():
        feet = np.asarray(person.image_xy_px, float)[list(_FEET)][seen]
        return feet[np.argmax(feet[:, 1])]
    if person.box_xyxy_px is not None:
        x0, _, x1, y1 = (float(v) for v in person.box_xyxy_px)
        return np.array([(x0 + x1) / 2, y1])
    return None


def line_crossers(frames: list[FramePoses], line: ImageLine, margin_px: float) -> set[int]:
    """The people (track ids) whose feet (or box bottom) were seen on both sides of a marked line (beyond
    ``margin_px``): customers who walked across it; a clerk behind the counter stays on one side."""
    sides: dict[int, set[int]] = {}
    for f in frames:
        for q in f.persons:
            p = foot_point_px(q)
            if p is not None:
                d = float(line.signed_distance_px(p)[0])
                if abs(d) > margin_px:
                    sides.setdefault(q.track_id, set()).add(1 if d > 0 else -1)
    return {tid for tid, seen in sides.items() if len(seen) == 2}


def trainee_side(frames: list[FramePoses], trainee_id: int, line: ImageLine, margin_px: float) -> int:
    """Which side of a marked line (:class:`~..geometry.image_line.ImageLine`) is the counter's: the side the
    trainee's feet (or box bottom) are on, by their median (+1 / −1 in the sign of ``signed_distance_px``); 0 when
    the trainee is not seen or stands within ``margin_px`` of it."""
    own = [line.signed_distance_px(p)[0] for f in frames for q in f.persons if q.track_id == trainee_id
           for p in [foot_point_px(q)] if p is not None]
    if not own or abs(float(np.median(own))) <= margin_px:
        return 0
    return int(np.sign(np.median(own)))


def line_cues(frames: list[FramePoses], trainee_id: int, line: ImageLine, inside_sign: int, margin_px: float,
              min_inside_s: float) -> dict[str, float | None]:
    """The 2 m cue from a line marked on the floor (:class:`~..geometry.image_line.ImageLine`), seconds: the
    first time somebody other than the trainee, seen outside it first, has their feet past it on the counter's side
    (``inside_sign``, :func:`trainee_side`; more than ``margin_px``) for at least ``min_inside_s``
    (``customer_near``), and the first time after it that one of them goes back out (``customer_leave``); None for
    a cue nobody gave."""
    sides: dict[int, list[tuple[float, int]]] = {}
    for f in frames:
        for q in f.persons:
            p = foot_point_px(q) if q.track_id != trainee_id else None
            if p is None:
                continue
            d = inside_sign * float(line.signed_distance_px(p)[0])
            sides.setdefault(q.track_id, []).append((f.timestamp_s, 1 if d > margin_px else -1 if d < -margin_px
                                                     else 0))
    arrivals, leaves = [], []
    for rows in sides.values():
        outside_seen, in_since, arrived = False, None, None
        for t, side in rows:
            if side < 0:
                if arrived is not None:
                    leaves.append(t)
                    arrived = None
                outside_seen, in_since = True, None
            elif side > 0 and outside_seen:
                in_since = t if in_since is None else in_since
                if arrived is None and t - in_since >= min_inside_s:
                    arrived = in_since
                    arrivals.append(in_since)
    t_near = min(arrivals) if arrivals else None
    after = [t for t in leaves if t_near is not None and t > t_near]
    return {"customer_near": t_near, "customer_leave": min(after) if after else None}


def gesture_events(gestures: list[Gesture]) -> list[TraineeEvent]:
    """Indicating, hand-over and wave gestures as trainee events, timed at their start."""
    return [TraineeEvent(g.kind, g.start_s, g.start_s, g.end_s) for g in gestures]
