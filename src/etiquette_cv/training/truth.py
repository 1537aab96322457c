"""A ground-truth sidecar (``*.gt.json``, schema ``etiquette-cv/ground-truth``) read as the trainee's true event
stream, so a scenario can be scored on the truth and the measured verdicts checked against it.

Truth → events: a stand-up or sit-down at its ``start_s`` (the onset, as the rulebook's ``stand_point``), lasting
to ``end_s``; a bow from its ``start_s`` with its true peak angle and ``hold_s`` measured on the true per-frame
trunk flexion the way the bend detector measures it (time within 20 % of the peak); upright standing stretches
(``hold_posture``) from the true per-frame stance and flexion by the same function as the measured ones; the
customer cues are the first ``cross_2m`` in and the first out after it. Gestures are the sidecar's ``gesture``
events (``gesture``: indicate / wave / hand_over / handshake, ``start_s``–``end_s``: the scripted arms state, see
``sim.arm_gestures``), timed at their start; a sidecar without ``gestures_annotated`` (rendered before gestures
existed) leaves their kinds ``not_measured``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..timeseries import median_step_s
from .stream import TraineeEvent, TraineeEvents, standing_holds

TRUTH_SCHEMA = "etiquette-cv/ground-truth"
GESTURE_KINDS = ("indicate", "hand_over", "wave", "handshake")


class TruthError(ValueError):
    """A sidecar that cannot be read; the message names the file."""


def _series(d: dict, person: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The person's true time (s), trunk flexion (degrees) and standing flag per rendered frame."""
    rows = [(f["t_s"], f["persons"][person]["trunk_flexion_deg"], f["persons"][person]["stance"] == "stand")
            for f in d["frames"] if person in f.get("persons", {})]
    t, flex, standing = (np.array(x) for x in zip(*rows)) if rows else (np.zeros(0),) * 3
    return t.astype(float), flex.astype(float), standing.astype(bool)


def _hold_s(t: np.ndarray, flex: np.ndarray, start_s: float, end_s: float, peak_deg: float) -> float:
    """Time within 20 % of the peak inside [start, end] (seconds), as the bend detector counts it."""
    inside = (t >= start_s) & (t <= end_s) & (flex >= 0.8 * peak_deg)
    dt = median_step_s(t)
    dt = dt if np.isfinite(dt) else 0.1
    return float(inside.sum() * dt)


def truth_events(path: str | Path, person: str = "clerk", upright_below_deg: float = 8.0) -> TraineeEvents:
    """The true event stream of ``person`` in a ground-truth sidecar (seconds, degrees); standing with the trunk
    below ``upright_below_deg`` (the rulebook's bow start) counts as upright."""
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TruthError(f"{p}: cannot read the ground-truth sidecar ({exc})") from None
    if d.get("schema") != TRUTH_SCHEMA:
        raise TruthError(f"{p}: not a ground-truth sidecar (schema is not {TRUTH_SCHEMA!r})")
    duration = float(d["duration_s"])
    t, flex, standing = _series(d, person)
    moves, bows, gestures = [], [], []
    annotated = bool(d.get("gestures_annotated"))
    near = leave = None
    for e in d["events"]:
        kind = e["type"]
        if kind == "cross_2m":
            if e["direction"] == "in" and near is None:
                near = float(e["t_s"])
            elif e["direction"] == "out" and near is not None and leave is None:
                leave = float(e["t_s"])
        elif e.get("person") != person:
            continue
        elif kind in ("stand_up", "sit_down"):
            moves.append(TraineeEvent(kind, float(e["start_s"]), float(e["start_s"]), float(e["end_s"])))
        elif kind == "gesture" and annotated:
            gestures.append(TraineeEvent(e["gesture"], float(e["start_s"]), float(e["start_s"]), float(e["end_s"])))
        elif kind == "bow_peak":
            a, b, peak = float(e["start_s"]), float(e["end_s"]), float(e["angle_deg"])
            bows.append(TraineeEvent("bow", a, a, b, peak, float(e["t_s"]), 0.0, _hold_s(t, flex, a, b, peak)))
    holds = standing_holds(t, standing, flex, upright_below_deg)
    unannotated = {} if annotated else {k: "gestures are not annotated in this sidecar" for k in GESTURE_KINDS}
    return TraineeEvents(moves + bows + holds + gestures, duration,
                         cues={"customer_near": near, "customer_leave": leave}, not_measured=unannotated,
                         t_s=t, flexion_deg=flex, standing=standing)
