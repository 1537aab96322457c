"""Ground truth of a scenario: per-frame body measurements and the events the inspector should find.

Per frame and person (``ground_truth``): trunk angles measured on the kinematic body's hip→shoulder line, sit/stand
state, floor position, distance to the counter's customer-facing edge, shoulder and head heights.
Events (``truth_events``): customer 2 m crossings at their exact (bisected) times, clerk stand-up / sit-down
times (sit_blend crossing 0.5), bow peaks from the ``bow`` annotations, reaches and violation intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .body import DEFAULT_DESK_HEIGHT_M, Body, joint_positions_m, trunk_angles_deg
from .scenario import PersonSpec, PoseParams, Scenario

__all__ = ["GroundTruth", "TruthEvent", "ground_truth", "ground_truth_at", "truth_events", "distance_to_counter_m",
           "NEAR_COUNTER_M"]

NEAR_COUNTER_M = 2.0
"""Distance from the counter edge within which the clerk must rise (CC-2.6)."""
_TIME_TOL_S = 1e-6
_SCAN_STEP_S = 0.05


@dataclass
class GroundTruth:
    """One person's true state at one time."""

    t_s: float
    person: str
    role: str
    trunk_flexion_deg: float
    """Angle of the hip-centre → shoulder-centre line from the true vertical in the sagittal plane, degrees,
    positive forward along the heading."""
    trunk_lateral_deg: float
    """Angle of that line out of the sagittal plane, degrees, positive toward the person's right (includes sway)."""
    stance: str
    """'sit' when sit_blend ≥ 0.5 else 'stand'."""
    sit_blend: float
    pos_m: np.ndarray
    """(2,) floor position of the pelvis centre, metres."""
    distance_to_counter_m: float
    """Floor distance from the pelvis centre to the counter's customer-facing edge, metres."""
    shoulder_height_m: float
    """Height of the shoulder centre above the floor, metres."""
    head_height_m: float
    """Height of the nose above the floor, metres."""
    walk_speed_m_s: float
    params: PoseParams = field(repr=False)


@dataclass
class TruthEvent:
    """An event the inspector should report."""

    kind: str
    """customer_near | customer_far | stand_up | sit_down | bow_peak | reach | violation"""
    person: str
    t_s: float
    """Time of the event (interval start for reach/violation), seconds."""
    end_s: float | None = None
    """Interval end for reach / violation / bow annotations, seconds."""
    value: float | None = None
    """bow_peak / reach: peak trunk flexion in degrees; crossings: the threshold distance in metres."""
    label: str | None = None
    """bow_peak: bow class; violation: violation type."""


def distance_to_counter_m(scenario: Scenario, xy_m: np.ndarray) -> float:
    """Floor distance in metres from a point (2,) to the counter's customer-facing edge (y when no counter)."""
    counter = scenario.scene.counter
    if counter is None:
        return float(np.asarray(xy_m)[1])
    return float(counter.distance_m(np.asarray(xy_m, dtype=float)))


def ground_truth_at(scenario: Scenario, t_s: float) -> dict[str, GroundTruth]:
    """Every person's true state at time ``t_s`` (seconds), keyed by person id."""
    counter = scenario.scene.counter
    desk_h = counter.desk_height_m if counter is not None else DEFAULT_DESK_HEIGHT_M
    out: dict[str, GroundTruth] = {}
    for person in scenario.persons:
        p = person.sample(t_s)
        j = joint_positions_m(p, _body(person), desk_h)
        hip_c, sh_c = 0.5 * (j[23] + j[24]), 0.5 * (j[11] + j[12])
        flex, lat = trunk_angles_deg(hip_c, sh_c, p.heading_deg)
        out[person.id] = GroundTruth(
            t_s=float(t_s), person=person.id, role=person.role, trunk_flexion_deg=flex, trunk_lateral_deg=lat,
            stance=p.stance, sit_blend=p.sit_blend, pos_m=p.pos_m.copy(),
            distance_to_counter_m=distance_to_counter_m(scenario, p.pos_m),
            shoulder_height_m=float(sh_c[2]), head_height_m=float(j[0, 2]), walk_speed_m_s=p.walk_speed_m_s,
            params=p,
        )
    return out


def ground_truth(scenario: Scenario) -> list[dict[str, GroundTruth]]:
    """Ground truth at every frame time of ``scenario.times()``, one dict (person id → truth) per frame."""
    return [ground_truth_at(scenario, float(t)) for t in scenario.times()]


_BODY_CACHE: dict[tuple[float, str], Body] = {}


def _body(person: PersonSpec) -> Body:
    key = (person.body.height_m, person.body.sex)
    if key not in _BODY_CACHE:
        _BODY_CACHE[key] = Body.from_spec(person.body)
    return _BODY_CACHE[key]


def _crossings(f: Callable[[float], float], level: float, t0: float, t1: float) -> list[tuple[float, int]]:
    """Times in [t0, t1] where f crosses ``level`` (scan at 50 ms, then bisection to 1 µs), with direction
    +1 (rising through the level) or −1 (falling)."""
    ts = np.arange(t0, t1 + _SCAN_STEP_S, _SCAN_STEP_S)
    ts[-1] = min(ts[-1], t1)
    vals = np.array([f(float(t)) for t in ts]) - level
    out = []
    for i in range(len(ts) - 1):
        a, b = vals[i], vals[i + 1]
        if (a < 0) != (b < 0):
            lo, hi = float(ts[i]), float(ts[i + 1])
            flo = a
            while hi - lo > _TIME_TOL_S:
                mid = 0.5 * (lo + hi)
                fm = f(mid) - level
                if (fm < 0) == (flo < 0):
                    lo, flo = mid, fm
                else:
                    hi = mid
            out.append((0.5 * (lo + hi), 1 if b >= 0 else -1))
    return out


def truth_events(scenario: Scenario, near_m: float = NEAR_COUNTER_M) -> list[TruthEvent]:
    """Events sorted by time: customer_near / customer_far when a customer's pelvis crosses ``near_m`` metres
    from the counter edge (inward / outward), stand_up / sit_down when a clerk's sit_blend crosses 0.5, bow_peak
    at the maximum trunk flexion inside each bow annotation (value = degrees, label = bow class; the time is the
    middle of the peak plateau), reach intervals with their peak flexion, and the annotated violation intervals."""
    events: list[TruthEvent] = []
    t_end = scenario.duration_s
    for person in scenario.persons:
        if person.role == "customer":
            dist = lambda t, p=person: distance_to_counter_m(scenario, p.sample(t).pos_m)  # noqa: E731
            for t, direction in _crossings(dist, near_m, 0.0, t_end):
                events.append(TruthEvent("customer_far" if direction > 0 else "customer_near", person.id, t,
                                         value=near_m))
        blend = lambda t, p=person: p.sample(t).sit_blend  # noqa: E731
        for t, direction in _crossings(blend, 0.5, 0.0, t_end):
            events.append(TruthEvent("sit_down" if direction > 0 else "stand_up", person.id, t))

    for ann in scenario.annotations:
        if ann.kind in ("bow", "reach"):
            person = scenario.person(ann.person)
            t_peak, peak = _peak_flexion(person, ann.start_s, ann.end_s)
            if ann.kind == "bow":
                events.append(TruthEvent("bow_peak", ann.person, t_peak, end_s=ann.end_s, value=peak,
                                         label=ann.bow_class))
            else:
                events.append(TruthEvent("reach", ann.person, ann.start_s, end_s=ann.end_s, value=peak))
        elif ann.kind == "violation":
            events.append(TruthEvent("violation", ann.person, ann.start_s, end_s=ann.end_s, label=ann.type))
    events.sort(key=lambda e: (e.t_s, e.kind, e.person))
    return events


def _peak_flexion(person: PersonSpec, t0: float, t1: float) -> tuple[float, float]:
    """(time in s, degrees) of the maximum commanded trunk flexion in [t0, t1]; the time is the middle of the
    interval where the flexion is within 0.01° of the maximum."""
    n = max(2, int(math.ceil((t1 - t0) / 0.005)) + 1)
    ts = np.linspace(t0, t1, n)
    vals = np.array([person.sample(float(t)).trunk_flexion_deg for t in ts])
    peak = float(vals.max())
    near = ts[vals >= peak - 0.01]
    return float(0.5 * (near[0] + near[-1])), peak
