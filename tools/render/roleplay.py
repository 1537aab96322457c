#!/usr/bin/env python3
"""Write a randomised, seeded trainer-mode role-play (docs/scenario.md + renderer extensions) of one of the shipped
scenarios (src/etiquette_cv/scenarios/), acted right or with one mistake a trainer sees.

    python tools/render/roleplay.py --seed 301 --scenario reception --variation ok --family front --out DIR
        [--distance near|far] [--name NAME]

The same arguments always give the same file (numpy's PCG64 seeded with the seed). One station, one clerk (the
trainee, id ``clerk``), one customer; random bodies, clothes, room colours and light; 960×540, 10 fps.

Variations (what the clerk does differently from the script; the truth sidecar, not this intent, is what the
benchmark compares with): ``ok``; ``late`` (one step late: the stand-up for reception/handshake, the
wave for farewell, the upright stance before the apology); ``wrong_class`` (the bow of another class: 30° for the
greeting, 15° for the thanks, 30° for the apology); ``missing`` (one step left out: the indicating gesture, the
wave, the documents handed back, the handshake, the bow for the apology); ``wrong_form`` (an apology bow held
1 s instead of ≥ 2 s; a handshake of 1.8 s or 6.5 s instead of 3–5 s).

Camera families (a phone on a tripod): ``front`` — at chest height (1.2–1.5 m), in front of the clerk within ±8°;
``oblique`` — 30°–60° to the clerk's left or right (the side away from where the customer stands, so the customer
does not hide the trainee), at 1.2–1.6 m. Distance from the clerk: ``near`` 2.5–3.4 m, ``far`` 3.4–4.0 m (the far
band is only in the held-out split, roleplay_set.py). These see no floor (no floor calibration needed, or possible).
``tripod_high`` — a phone on a tall tripod on the customer's side, 1.9–2.4 m high, pitched down 15°–30°, 0°–40° from
straight in front of the clerk toward the side away from the customer, aimed between the clerk and the customer's
way in (up to 30° off the clerk), so that the clerk is wholly in view and so are the floor in front of the counter
out past 2.3 m and the customer where they cross 2 m (for a floor calibration: ``CALIBRATED``). It stands farther
off: ``near`` 4.4–5.2 m, ``far`` 5.2–6.0 m from the clerk — a camera 2.5–4.0 m away stands on or next to the 2 m line
itself, and cannot see the clerk and the customer crossing that line in one picture (rejection sampling finds no
camera 2.5–3.4 m away for any of the set's 8 scripts; 3.4–4.0 m: about 1 placement in 1000 passes, 4.4–5.2 m: 4 %).
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"))

from randomise import Camera, Track, body, colour, in_view, r3  # noqa: E402
from etiquette_cv.sim.body import Body, joint_positions_m  # noqa: E402
from etiquette_cv.sim.scenario import BodySpec, Scenario  # noqa: E402

SCENARIOS = ("reception", "farewell", "apology", "documents", "handshake", "avoid")
VARIATIONS = ("ok", "late", "wrong_class", "missing", "wrong_form", "folded", "hair", "phone", "both", "hair_seated",
              "phone_seated", "shake", "shake_seated", "look", "waveno", "waveno_seated", "bye", "pockets", "tap",
              "tap_seated", "rest", "rest_seated", "lean_counter", "lean_back_seated")
FAMILIES = ("front", "oblique", "tripod_high")
CALIBRATED = ("tripod_high",)   # families whose clips the benchmark scores with their floor calibration
DISTANCES = {"near": (2.5, 3.4), "far": (3.4, 4.0)}
# tripod_high stands farther off: to see the 2 m line it must be well beyond it (see _tripod_camera)
TRIPOD_DISTANCES = {"near": (4.4, 5.2), "far": (5.2, 6.0)}
W, H, FPS = 960, 540, 10
ALLOWED = {"reception": ("ok", "late", "wrong_class", "missing"), "farewell": ("ok", "late", "wrong_class", "missing"),
           "apology": ("ok", "late", "wrong_class", "missing", "wrong_form"),
           "documents": ("ok", "missing", "folded"), "handshake": ("ok", "late", "missing", "wrong_form"),
           # a gesture to avoid (DB 表4: fiddling with the hair) and its look-alike that is allowed (a phone held to
           # the ear, CC 通用规范㈠10), standing after greeting the customer or seated (benchmarks/avoid_set/)
           "avoid": ("hair", "phone", "both", "hair_seated", "phone_seated", "shake", "shake_seated", "look", "waveno",
                     "waveno_seated", "bye", "pockets", "folded", "tap", "tap_seated", "rest", "rest_seated",
                     "lean_counter", "lean_back_seated")}


class Clerk:
    """The clerk's keyframes, with the gesture annotations that go with them."""

    def __init__(self, seat, standp):
        self.tr = Track()
        self.seat, self.standp = seat, standp
        self.gestures: list[dict] = []
        self.bows: list[dict] = []
        self.violations: list[dict] = []
        self.looks: list[tuple[float, float]] = []
        """Slow looks to each side (not a gesture of the standard: kept in the manifest, not the script)."""
        self.folded: list[tuple[float, float]] = []
        """Hands folded in front (DB 表4's standing posture, the look-alike of hands in the pockets: the manifest)."""

    def stand(self, onset):
        """Rise: the transition starts at ``onset`` (the rulebook's stand point) and takes 1.2 s."""
        self.tr.set(onset, pos_m=self.seat, neck_flexion_deg=8)
        self.tr.set(onset + 1.2, pos_m=self.standp, stance="stand", transition_s=1.2, arms="sides",
                    neck_flexion_deg=0)
        return onset + 1.2

    def bow(self, t0, angle, hold, cls):
        """A bow from ``t0``: down in 0.8 s, held ``hold`` s at ``angle`` degrees, up in 0.9 s. Returns its end."""
        self.tr.set(t0, trunk_flexion_deg=0)
        self.tr.set(t0 + 0.8, trunk_flexion_deg=angle)
        self.tr.set(t0 + 0.8 + hold, trunk_flexion_deg=angle)
        end = t0 + 0.8 + hold + 0.9
        self.tr.set(end, trunk_flexion_deg=0)
        self.bows.append({"kind": "bow", "person": "clerk", "start_s": r3(t0), "end_s": r3(end), "bow_class": cls})
        return end

    def lean_on_counter(self, t0, rng, near):
        """Step up to the counter (``near``), lean on it with both hands, trunk bent 22-35° for 2.8-4 s (CC ㈠6 斜靠: a
        violation), step back, and later make a held apology bow (45-55°, its look-alike: a bow, not a lean). Returns
        the end."""
        self.tr.set(t0, pos_m=self.standp, arms="sides", trunk_flexion_deg=0)
        t = t0 + 0.8
        self.tr.set(t, pos_m=near, arms="reach_down", trunk_flexion_deg=0)   # the hands go down onto the top
        angle, hold = rng.uniform(22, 35), rng.uniform(2.8, 4.0)
        self.tr.set(t + 0.8, trunk_flexion_deg=angle, neck_flexion_deg=10)
        self.tr.set(t + 0.8 + hold, trunk_flexion_deg=angle, neck_flexion_deg=10)
        self.violations.append({"kind": "violation", "type": "lean_on_counter", "person": "clerk",
                                "start_s": r3(t + 0.8), "end_s": r3(t + 0.8 + hold)})
        t += 1.6 + hold
        self.tr.set(t, trunk_flexion_deg=0, neck_flexion_deg=0, arms="sides", pos_m=near)
        self.tr.set(t + 0.8, pos_m=self.standp)
        t += 0.8 + rng.uniform(1.5, 2.5)
        return self.bow(t, rng.uniform(45, 55), rng.uniform(2.5, 3.0), "apology") + 1.0

    def lean_back_then_lie(self, t0, rng):
        """Seated: lean back in the chair 12-20° for 2.8-4 s (DB 表4 仰靠椅背), sit upright, then lie on the desk
        (trunk 35-45° for 2.5-3.5 s, CC ㈠7 趴于桌面): both violations. Returns the end."""
        t = t0 + rng.uniform(1.0, 2.0)
        angle, hold = -rng.uniform(12, 20), rng.uniform(2.8, 4.0)
        self.tr.set(t, trunk_flexion_deg=0, arms="desk")
        self.tr.set(t + 0.8, trunk_flexion_deg=angle, arms="sides")
        self.tr.set(t + 0.8 + hold, trunk_flexion_deg=angle, arms="sides")
        self.violations.append({"kind": "violation", "type": "lean_back", "person": "clerk", "start_s": r3(t + 0.8),
                                "end_s": r3(t + 0.8 + hold)})
        t += 1.6 + hold
        self.tr.set(t, trunk_flexion_deg=0, arms="desk")
        t += rng.uniform(2.0, 3.0)
        angle, hold = rng.uniform(35, 45), rng.uniform(2.5, 3.5)
        self.tr.set(t, trunk_flexion_deg=0, neck_flexion_deg=10)
        self.tr.set(t + 1.0, trunk_flexion_deg=angle, neck_flexion_deg=30)
        self.tr.set(t + 1.0 + hold, trunk_flexion_deg=angle, neck_flexion_deg=30)
        self.violations.append({"kind": "violation", "type": "lie_on_desk", "person": "clerk", "start_s": r3(t + 1.0),
                                "end_s": r3(t + 1.0 + hold)})
        t += 2.0 + hold
        self.tr.set(t, trunk_flexion_deg=0, neck_flexion_deg=10)
        return t + 1.5

    def head_turns(self, t0, rng, shake=True):
        """A head shake for "don't know" (to avoid, DB 表4: ±20-35° at 2-3 Hz for 1.5-2.5 s; annotated as a
        violation) and, 2-3 s later, a look to each side (±30-40° at 0.25-0.35 Hz, one slow turn each way: not a
        shake) — only the look when ``shake`` is False. Returns the end."""
        t = t0
        if shake:
            dur, hz, amp = rng.uniform(1.5, 2.5), r3(rng.uniform(2.0, 3.0)), r3(rng.uniform(20.0, 35.0))
            self._head_swing(t, dur, amp, hz, ramp_s=0.15)
            self.violations.append({"kind": "violation", "type": "head_shake", "person": "clerk", "start_s": r3(t),
                                    "end_s": r3(t + dur)})
            t += dur + rng.uniform(2.0, 3.0)
        hz = rng.uniform(0.25, 0.35)
        self._head_swing(t, 1.0 / hz, r3(rng.uniform(30.0, 40.0)), r3(hz), ramp_s=0.3)
        self.looks.append((r3(t), r3(t + 1.0 / hz)))
        return t + 1.0 / hz + 0.5

    def _head_swing(self, t0, dur, amp, hz, ramp_s):
        """The head swung ±``amp``° at ``hz`` from ``t0`` for ``dur`` s, the swing growing and dying over ``ramp_s``
        (the frequency held through it)."""
        self.tr.set(t0, head_shake_deg=0.0, head_shake_hz=hz)
        self.tr.set(t0 + ramp_s, head_shake_deg=amp)
        self.tr.set(t0 + dur - ramp_s, head_shake_deg=amp)
        self.tr.set(t0 + dur, head_shake_deg=0.0, head_shake_hz=hz)

    def gesture(self, kind, t0, dur, hz=None, rest="sides"):
        """Hold arms ``kind`` from ``t0`` for ``dur`` seconds (then the arms go back to ``rest``). Returns its end."""
        self.tr.set(t0, arms=kind, **({"gesture_hz": hz} if hz else {}))
        self.tr.set(t0 + dur, arms=rest)
        self.gestures.append({"kind": "gesture", "type": kind, "person": "clerk", "start_s": r3(t0),
                              "end_s": r3(t0 + dur)})
        return t0 + dur


def _wrist(spec, pos, heading, arms):
    """World position (m) of the right wrist of a standing person with these arms (sim body, same geometry as the
    renderer's)."""
    d = {"version": 1, "duration_s": 1.0, "fps": 10, "camera": {"position_m": [0, 5, 1.4], "look_at_m": [0, 0, 1],
                                                                "hfov_deg": 60, "width": W, "height": H},
         "persons": [{"id": "p", "role": "customer", "body": spec,
                      "keyframes": [{"t": 0.0, "pos_m": list(pos), "heading_deg": heading, "stance": "stand",
                                     "arms": arms}]}]}
    sc = Scenario.from_dict(d)
    p = sc.persons[0].sample(0.5)
    return joint_positions_m(p, Body.from_spec(BodySpec(spec["height_m"], spec["sex"])))[16]


def _avoid_kinds(variation):
    """The arm gestures of an ``avoid`` variation, in order: fiddling with the hair (``hair``), a phone held to the
    ear (``phone``), both (``both``), waving a hand for "don't know" (``waveno``, to avoid), a farewell wave
    (``bye``, allowed: its look-alike), hands folded in front (DB 表4's standing posture) then in the pockets
    (``pockets``: a violation of 表4 站姿) or folded only (``folded``: its look-alike), a hand resting on the counter
    then knocking on it (``tap``, to avoid) or resting only (``rest``); none for the head turns (``shake``,
    ``look``)."""
    base = variation.removesuffix("_seated")
    return {"both": ("phone_ear", "touch_hair"), "hair": ("touch_hair",), "phone": ("phone_ear",),
            "waveno": ("wave_no",), "bye": ("wave",), "pockets": ("front_folded", "pockets"),
            "folded": ("front_folded",), "tap": ("hand_rest", "tap_counter"), "rest": ("hand_rest",)}.get(base, ())


def _crossing(cust_keys, spec, counter_d=2.0):
    """Times (s) the customer's pelvis crosses ``counter_d`` from the counter edge (y = 0) in the script."""
    d = {"version": 1, "duration_s": 60.0, "fps": 10, "camera": {"position_m": [0, 5, 1.4],
                                                                 "look_at_m": [0, 0, 1], "hfov_deg": 60,
                                                                 "width": W, "height": H},
         "persons": [{"id": "c", "role": "customer", "body": spec, "keyframes": cust_keys}]}
    p = Scenario.from_dict(d).persons[0]
    ts = np.arange(0.0, 60.0, 0.01)
    y = np.array([p.sample(float(t)).pos_m[1] for t in ts])
    return [float(ts[i]) for i in range(1, len(ts)) if (y[i - 1] < counter_d) != (y[i] < counter_d)]


def _camera(rng, family, dist, target, side):
    hfov = rng.uniform(55, 68)
    for _ in range(5000):
        d = rng.uniform(*DISTANCES[dist])
        if family == "front":
            az, z = 90 + rng.uniform(-8, 8), rng.uniform(1.2, 1.5)
        else:
            # on the side away from the customer: the trainer sets the phone where the trainee is seen
            az, z = 90 + side * rng.uniform(30, 60), rng.uniform(1.2, 1.6)
        a = math.radians(az)
        pos = np.array([target[0] + d * math.cos(a), target[1] + d * math.sin(a), z])
        look = np.array([target[0], target[1], rng.uniform(0.95, 1.15)])
        cam = Camera(pos, look, hfov)
        need = [[target[0], target[1], 0.45], [target[0], target[1], 1.85], [target[0] + 0.6, target[1] + 0.3, 1.2],
                [target[0] - 0.6, target[1] + 0.3, 1.2]]
        if in_view(cam, need, 0.03):
            return {"position_m": r3(pos), "look_at_m": r3(look), "hfov_deg": r3(hfov), "width": W, "height": H}
    raise SystemExit("no camera found")


def _positions(cust_keys, spec, times):
    """The customer's floor position (m) at ``times`` (s) in the script."""
    d = {"version": 1, "duration_s": 60.0, "fps": 10, "camera": {"position_m": [0, 5, 1.4],
                                                                 "look_at_m": [0, 0, 1], "hfov_deg": 60,
                                                                 "width": W, "height": H},
         "persons": [{"id": "c", "role": "customer", "body": spec, "keyframes": cust_keys}]}
    p = Scenario.from_dict(d).persons[0]
    return [np.asarray(p.sample(float(t)).pos_m[:2], float) for t in times]


def _tripod_camera(rng, dist, target, side, cust_keys, cust_spec, crossings):
    """``tripod_high``: a phone on a tall tripod on the customer's side, 1.9-2.4 m high, pitched down 15-30°, within
    40° of straight in front of the clerk (toward the side away from the customer), aimed between the clerk and the
    customer's way in, so that the clerk is wholly in view and so are the customer at each 2 m crossing
    (``crossings``, s; feet and head, at the crossing and 0.5 s either side) and the floor in front of the counter
    out to 2.3 m over at least 2 m (the crossings, and the floor points of the calibration). Rejection-sampled from
    ``TRIPOD_DISTANCES`` (nearer than about 4 m the tripod stands on the 2 m line: module docstring)."""
    # the customer's feet and head at each crossing and 0.5 s either side of it
    path = _positions(cust_keys, cust_spec, [t + dt for t in crossings for dt in (-0.5, 0.0, 0.5)])
    body_pts = [[p[0], p[1], z] for p in path for z in (0.02, cust_spec["height_m"] + 0.03)]
    at_line = [[p[0], 2.3, 0.0] for p in _positions(cust_keys, cust_spec, crossings)]
    need = [[target[0], target[1], 0.45], [target[0], target[1], 1.85], [target[0] + 0.6, target[1] + 0.3, 1.2],
            [target[0] - 0.6, target[1] + 0.3, 1.2]]
    xs = np.arange(-3.0, 3.01, 0.1)
    for _ in range(20000):
        d = rng.uniform(*TRIPOD_DISTANCES[dist])
        hfov = rng.uniform(55, 68)
        az = 90 + side * rng.uniform(0, 40)   # the side away from the customer, as ``oblique`` (or straight in front)
        z = rng.uniform(1.9, 2.4)
        pitch = rng.uniform(15, 30)
        swing = side * rng.uniform(0, 30)      # aimed this far (deg) from the clerk toward the customer's way in
        a = math.radians(az)
        pos = np.array([target[0] + d * math.cos(a), target[1] + d * math.sin(a), z])
        yaw = math.atan2(target[1] - pos[1], target[0] - pos[0]) + math.radians(swing)
        p = math.radians(pitch)
        f = np.array([math.cos(yaw) * math.cos(p), math.sin(yaw) * math.cos(p), -math.sin(p)])
        look = pos + f * (d / math.cos(p))
        cam = Camera(pos, look, hfov)
        if not (in_view(cam, need, 0.03) and in_view(cam, body_pts + at_line, 0.02)):
            continue
        # the floor 2.3 m out from the counter edge in view over at least 2 m (where the customer crosses it too)
        if sum(in_view(cam, [[x, 2.3, 0.0]], 0.02) for x in xs) * 0.1 < 2.0:
            continue
        return {"position_m": r3(pos), "look_at_m": r3(look), "hfov_deg": r3(hfov), "width": W, "height": H}
    raise SystemExit("no tripod_high camera found")


def make(seed, scenario, variation, family, distance="near", name=None):
    if scenario not in SCENARIOS or variation not in ALLOWED[scenario]:
        raise SystemExit(f"{scenario!r} has no variation {variation!r} (it has {', '.join(ALLOWED[scenario])})")
    rng = np.random.default_rng([seed, 20261203])
    depth = rng.uniform(0.5, 0.6)
    raised = scenario != "handshake" and rng.random() < 0.35
    top_h = rng.uniform(1.0, 1.06) if raised else 0.76
    if variation == "lean_counter":   # the clerk leans on the counter top itself (drawn as before: scripts stay)
        raised, top_h = False, 0.76
    x0, x1 = -rng.uniform(1.1, 1.4), rng.uniform(1.1, 1.4)
    sx = rng.uniform(-0.15, 0.15)
    seat_y = -(depth + rng.uniform(0.62, 0.72))
    near_counter = scenario == "handshake"
    standp = [sx, -(depth + 0.22)] if near_counter else [sx + rng.uniform(-0.05, 0.05), seat_y + rng.uniform(0.3, 0.4)]
    side = 1 if rng.random() < 0.5 else -1          # the customer's side (+x / -x) of the clerk
    if scenario == "handshake":   # right hands meet: the customer stands toward the clerk's right (+x)
        side = 1
    clerk_b, clerk_ap = body(rng, clerk=True)
    cust_b, cust_ap = body(rng)
    # tripod_high is placed once the customer's walk is known (its own random stream: the others' are unchanged)
    camera = _camera(rng, family, distance, standp, side) if family not in CALIBRATED else None

    # ---- the customer: walks in from the far side of the room past 2 m to the counter; farewell: leaves again
    speed = rng.uniform(0.85, 1.05)
    at = [sx + side * rng.uniform(0.6, 0.8), rng.uniform(0.4, 0.5)]
    if scenario == "handshake":   # stand where the right hands meet over the counter
        heading_c = 90.0 - side * 12.0   # the clerk turns a little toward the customer
        w_c = _wrist(clerk_b, standp, heading_c, "handshake")
        fwd = np.array([math.cos(math.radians(heading_c)), math.sin(math.radians(heading_c)), 0.0])
        meet = w_c + 0.13 * fwd
        probe = _wrist(cust_b, [0.0, 0.0], heading_c + 180.0, "handshake")
        at = [float(meet[0] - probe[0]), float(meet[1] - probe[1])]
    start = [sx + side * rng.uniform(2.2, 3.0), rng.uniform(3.2, 3.8)]
    cust = Track()
    cust.heading = math.degrees(math.atan2(at[1] - start[1], at[0] - start[0]))
    t_in = rng.uniform(0.3, 1.0) if scenario != "farewell" else 0.2
    cust.set(0.0, pos_m=start, heading_deg=cust.heading, stance="stand", arms="sides")
    t_arrive = cust.walk(t_in, start, at, speed)
    face = 270.0 if scenario != "handshake" else heading_c + 180.0
    cust.head(t_arrive + 0.6, face)
    t_near = _crossing(cust.out(), cust_b)[0]

    clerk = Clerk([sx, seat_y], standp)
    clerk.tr.heading = 90.0
    clerk.tr.set(0.0, pos_m=clerk.seat, heading_deg=90, stance="sit", arms="desk",
                 neck_flexion_deg=rng.uniform(5, 15))
    late = variation == "late"
    t = 0.0
    if scenario in ("reception", "documents", "handshake"):
        onset = t_near + (rng.uniform(4.5, 6.0) if late else rng.uniform(-1.5, 1.0))
        t = clerk.stand(max(onset, 0.5))
        if scenario == "handshake":
            clerk.tr.set(t + 0.3, heading_deg=heading_c)
        if scenario == "reception":
            angle = rng.uniform(26, 32) if variation == "wrong_class" else rng.uniform(13, 17)
            t = clerk.bow(t + rng.uniform(0.3, 0.8), angle, rng.uniform(0.6, 1.0),
                          "thanks" if variation == "wrong_class" else "greeting")
            if variation != "missing":
                t = clerk.gesture("indicate", t + rng.uniform(0.8, 2.0), rng.uniform(1.5, 2.2))
        elif scenario == "documents":
            # folded: both hand-overs, the clerk standing with the hands folded in front between and after them
            # (the standard's standing posture, and the hand-over's nearest look-alike)
            rest = "front_folded" if variation == "folded" else "sides"
            if rest != "sides":
                clerk.tr.set(t + 0.3, arms=rest)
            t = clerk.gesture("hand_over", max(t + 0.5, t_arrive + 0.5), rng.uniform(1.5, 2.2), rest=rest)
            if variation != "missing":
                t = clerk.gesture("hand_over", t + rng.uniform(3.0, 4.0), rng.uniform(1.5, 2.2), rest=rest)
        else:
            if variation != "missing":
                dur = (1.8 if rng.random() < 0.5 else 6.5) if variation == "wrong_form" else rng.uniform(3.5, 4.5)
                t0 = max(t + 0.8, t_arrive + 1.0)
                t = clerk.gesture("handshake", t0, dur)
                cust.set(t0 + 0.1, arms="handshake", pos_m=at)
                cust.set(t + 0.1, arms="sides", pos_m=at)
            else:
                t = max(t, t_arrive) + 3.0
        clerk.tr.set(t + 1.5, pos_m=standp)
        duration = max(t, t_arrive) + 2.0
    elif scenario == "farewell":
        stay = rng.uniform(2.0, 3.0)
        t_go = t_arrive + stay
        back = [at[0] + side * rng.uniform(1.5, 2.2), rng.uniform(3.0, 3.5)]
        cust.set(t_go, pos_m=at)
        t_out_end = cust.walk(t_go, at, back, speed)
        t_leave = _crossing(cust.out(), cust_b)[1]
        t = clerk.stand(t_leave + rng.uniform(-4.0, -2.0))
        angle = rng.uniform(13, 17) if variation == "wrong_class" else rng.uniform(27, 33)
        t = clerk.bow(t + rng.uniform(0.2, 0.6), angle, rng.uniform(0.6, 1.0),
                      "greeting" if variation == "wrong_class" else "thanks")
        bow_start = clerk.bows[-1]["start_s"]
        if variation != "missing":
            t0 = bow_start + (rng.uniform(9.5, 11.0) if late else t - bow_start + rng.uniform(0.3, 1.0))
            t = clerk.gesture("wave", t0, rng.uniform(1.8, 2.5), hz=r3(rng.uniform(1.2, 1.8)))
        duration = max(t, t_out_end) + 1.5
    elif scenario == "avoid":   # the customer at the counter; the clerk (risen to greet, or seated) touches their hair
        t = t_arrive + rng.uniform(0.5, 1.5)
        rest = "desk" if variation.endswith("_seated") else "sides"
        if rest == "sides":
            t = clerk.stand(max(t_near + rng.uniform(-1.0, 1.0), 0.5)) + rng.uniform(1.0, 2.0)
        if variation.startswith(("shake", "look")):
            t = clerk.head_turns(t, rng, shake=not variation.startswith("look"))
        if variation == "lean_counter":
            t = clerk.lean_on_counter(t, rng, [clerk.standp[0], -(depth + rng.uniform(0.2, 0.26))])
        elif variation == "lean_back_seated":
            t = clerk.lean_back_then_lie(t, rng)
        for kind in _avoid_kinds(variation):
            lo, hi, hz_lo, hz_hi = {"touch_hair": (2.5, 4.0, 1.0, 2.0), "wave_no": (1.2, 2.0, 2.5, 3.5),
                                    "tap_counter": (1.5, 2.5, 2.5, 4.0), "hand_rest": (3.0, 4.0, None, None),
                                    "wave": (1.8, 2.5, 1.2, 1.8), "front_folded": (3.0, 5.0, None, None),
                                    "pockets": (3.0, 5.0, None, None)}.get(kind, (3.0, 5.0, None, None))
            dur = rng.uniform(lo, hi)      # drawn in this order: the older clips' scripts stay as rendered
            hz = r3(rng.uniform(hz_lo, hz_hi)) if hz_lo is not None else None
            t = clerk.gesture(kind, t, dur, hz=hz, rest=rest)
            if kind in ("touch_hair", "wave_no", "tap_counter"):   # a violation, not a gesture of the standard
                clerk.violations.append({**clerk.gestures.pop(), "kind": "violation"})
            elif kind == "pockets":
                clerk.violations.append({**clerk.gestures.pop(), "kind": "violation", "type": "hands_in_pockets"})
            elif kind == "front_folded":   # a posture, not a gesture: kept in the manifest
                g = clerk.gestures.pop()
                clerk.folded.append((g["start_s"], g["end_s"]))
            t += rng.uniform(1.5, 2.5)
        duration = t + 0.5
    else:   # apology: the customer is at the counter; the clerk stands, faces them, bows deeply and holds it
        onset = t_arrive + (rng.uniform(9.0, 10.0) if late else rng.uniform(-0.5, 0.5))
        t = clerk.stand(max(onset, 0.5))
        if variation != "missing":
            hold = rng.uniform(0.8, 1.1) if variation == "wrong_form" else rng.uniform(2.6, 3.2)
            angle = rng.uniform(28, 32) if variation == "wrong_class" else rng.uniform(50, 60)
            t = clerk.bow(t + rng.uniform(1.8, 2.5), angle, hold, "thanks" if variation == "wrong_class" else "apology")
        duration = t + 2.0
    duration = float(round(min(duration, 30.0), 1))
    if camera is None:
        crossings = [t for t in _crossing(cust.out(), cust_b) if t < duration]
        camera = _tripod_camera(np.random.default_rng([seed, 20261203, 1]), distance, standp, side, cust.out(),
                                cust_b, crossings)

    floor = np.array([0.62, 0.6, 0.56]) * rng.uniform(0.7, 1.25) + rng.uniform(-0.08, 0.08, 3)
    wall = np.clip(rng.uniform(0.7, 0.95) + rng.uniform(-0.08, 0.08, 3), 0, 1)
    laz, lel = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(35, 75))
    noisy = rng.random() < 0.5
    scene = {
        "counter": {"x0_m": r3(x0), "x1_m": r3(x1), "height_m": r3(top_h), "depth_m": r3(depth), "desk_height_m": 0.75},
        "chair": {"pos_m": r3([sx, seat_y])},
        "stations": [{"name": "A", "chair_m": r3([sx, seat_y]), "clerk": "clerk", "clerk_mode": "front",
                      "chair_slide_m": 0.35}],
        "visits": {"customer": "A"},
        # the monitor on the customer's side of the clerk: never between an oblique camera (the other side) and them
        "monitors_x_m": [r3(sx + 0.55 if side > 0 else sx - 0.97)],
        "floor_colour": r3(np.clip(floor, 0.05, 0.95)), "wall_colour": r3(wall),
        "accent_colour": colour(rng, 0.1, 0.7), "counter_colour": r3(np.array([0.55, 0.42, 0.3]) * rng.uniform(0.6, 1.3)),
        "chair_colour": colour(rng, 0.08, 0.35),
        "tape_marks_m": [[-1.5, 1.0], [1.5, 1.0], [0.0, 2.0], [-2.5, 3.0], [2.5, 3.0]],
        "light_key": r3([math.cos(laz) * math.cos(lel), math.sin(laz) * math.cos(lel), math.sin(lel)]),
        "brightness": r3(rng.uniform(0.8, 1.15)),
        "camera_noise_sigma": r3(rng.uniform(1.5, 4.0)) if noisy else 0.0,
        "noise_seed": int(seed),
        "video_crf": 28,
    }
    name = name or f"{scenario}_{variation}_{family}_s{seed}"
    persons = [{"id": "clerk", "role": "clerk", "body": clerk_b, "appearance": clerk_ap, "keyframes": clerk.tr.out()},
               {"id": "customer", "role": "customer", "body": cust_b, "appearance": cust_ap, "keyframes": cust.out()}]
    d = {"version": 1, "name": name, "duration_s": duration, "fps": FPS, "camera": camera, "scene": scene,
         "persons": persons, "annotations": clerk.bows + clerk.gestures + clerk.violations}
    Scenario.from_dict(d)   # valid
    meta = {"seed": seed, "scenario": scenario, "variation": variation, "camera_family": family,
            "distance": distance, "customer_side": side, "raised_counter": bool(raised)}
    if clerk.looks:
        meta["looks"] = [list(x) for x in clerk.looks]
    if clerk.folded:
        meta["folded"] = [list(x) for x in clerk.folded]
    return d, meta


def write(d, meta, out, args_line):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, d["name"] + ".scenario.yaml")
    with open(path, "w") as f:
        f.write(f"# Generated by: python tools/render/roleplay.py {args_line} -- do not edit by hand.\n")
        f.write("# " + ", ".join(f"{k}={v}" for k, v in meta.items()) + "\n")
        yaml.safe_dump(d, f, sort_keys=False, default_flow_style=None, width=140)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--scenario", required=True, choices=SCENARIOS)
    ap.add_argument("--variation", default="ok", choices=VARIATIONS)
    ap.add_argument("--family", required=True, choices=FAMILIES)
    ap.add_argument("--distance", default="near", choices=tuple(DISTANCES))
    ap.add_argument("--out", required=True)
    ap.add_argument("--name")
    a = ap.parse_args(argv)
    d, meta = make(a.seed, a.scenario, a.variation, a.family, a.distance, a.name)
    line = (f"--seed {a.seed} --scenario {a.scenario} --variation {a.variation} --family {a.family} "
            f"--distance {a.distance}" + (f" --name {a.name}" if a.name else ""))
    print(write(d, meta, a.out, line))


if __name__ == "__main__":
    main()
