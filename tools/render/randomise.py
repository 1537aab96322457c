#!/usr/bin/env python3
"""Write a randomised, seeded counter scenario (docs/scenario.md, version 1 + renderer extensions) for the people
stage evaluation set (benchmarks/people_set/).

    python tools/render/randomise.py --seed 101 --family front --out DIR [--layout two_stations]
        [--clerk-mode front] [--customers 2] [--queue [--queue-early]] [--name NAME]

The same seed and options always give the same file (numpy's PCG64 seeded with the seed; nothing else random).
Camera families (`--family`): front, oblique_left, oblique_right, side, over_shoulder. "left"/"right" are as seen
by a clerk facing the customers: oblique_left puts the camera on the -x side of the customer area, oblique_right
on the +x side; side looks along the counter from beyond one of its ends; over_shoulder stands behind a clerk and
looks over their shoulder at the customers.
Layout families (`--layout`, default drawn from the seed): one_station, two_stations.
Clerk modes (`--clerk-mode`, default drawn per clerk): front (stands 0.3-0.5 m in front of the seat, behind the
counter), beside (stands beside the chair); every clerk also sits during the clip.
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np
import yaml

CAMERA_FAMILIES = ("front", "oblique_left", "oblique_right", "side", "over_shoulder")
LAYOUTS = ("one_station", "two_stations")
CLERK_MODES = ("front", "beside")
W, H = 1280, 720
FPS = 10


def r3(x):
    if isinstance(x, (list, tuple, np.ndarray)):
        return [r3(v) for v in x]
    return round(float(x), 3)


class Camera:
    """Minimal pinhole (same conventions as raster.Camera) for the in-view checks."""

    def __init__(self, pos, look, hfov):
        self.pos = np.asarray(pos, float)
        f = np.asarray(look, float) - self.pos
        f /= np.linalg.norm(f)
        r = np.cross(f, [0, 0, 1.0])
        r /= np.linalg.norm(r)
        d = np.cross(f, r)
        self.R = np.stack([r, d, f])
        self.fx = (W / 2) / math.tan(math.radians(hfov) / 2)

    def project(self, X):
        Xc = (np.asarray(X, float) - self.pos) @ self.R.T
        return Xc[:, :2] / Xc[:, 2:3] * self.fx + [W / 2, H / 2], Xc[:, 2]


def in_view(cam, X, margin=0.04):
    uv, z = cam.project(X)
    mx, my = W * margin, H * margin
    return bool(np.all((z > 0.3) & (uv[:, 0] > mx) & (uv[:, 0] < W - mx) & (uv[:, 1] > my) & (uv[:, 1] < H - my)))


def colour(rng, lo=0.05, hi=0.9):
    return r3(rng.uniform(lo, hi, 3))


def unwrap(prev, h):
    """h (deg) shifted by multiples of 360 to be closest to prev."""
    return h + 360.0 * round((prev - h) / 360.0)


# ----------------------------------------------------------------------------------------------------------------
class Track:
    """Keyframes of one person built as time -> fields, merged at the end (times strictly increasing)."""

    def __init__(self):
        self.keys: dict[float, dict] = {}
        self.heading = None

    def set(self, t, **fields):
        t = round(float(t), 2)
        self.keys.setdefault(t, {}).update({k: (r3(v) if not isinstance(v, str) else v) for k, v in fields.items()})

    def head(self, t, h):
        h = float(h) if self.heading is None else unwrap(self.heading, float(h))
        self.heading = h
        self.set(t, heading_deg=h)

    def walk(self, t0, p0, p1, speed):
        """Walk p0 -> p1 starting at t0 with mean speed; turn toward the travel direction first. Returns t1."""
        p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
        dist = float(np.linalg.norm(p1 - p0))
        if dist < 1e-3:
            return t0
        dur = max(0.8, dist / speed)
        h = math.degrees(math.atan2(p1[1] - p0[1], p1[0] - p0[0]))
        self.set(t0, pos_m=p0)
        self.head(t0 + 0.05, self.heading if self.heading is not None else h)
        self.head(t0 + min(0.5, dur / 3), h)
        self.head(t0 + dur - 0.05, h)
        self.set(t0 + dur, pos_m=p1)
        return t0 + dur

    def out(self):
        res = []
        for t in sorted(self.keys):
            d = {"t": t}
            d.update(self.keys[t])
            res.append(d)
        return res


def body(rng, clerk=False):
    sex = "female" if rng.random() < 0.5 else "male"
    h = rng.uniform(1.55, 1.76) if sex == "female" else rng.uniform(1.65, 1.92)
    skin_tone = rng.uniform(0, 1)
    skin = np.array([0.93, 0.76, 0.64]) * (1 - skin_tone) + np.array([0.45, 0.3, 0.2]) * skin_tone
    hair = [[0.05, 0.04, 0.03], [0.25, 0.15, 0.08], [0.6, 0.45, 0.25], [0.55, 0.55, 0.55], [0.12, 0.08, 0.05]]
    if clerk:
        uni = [[0.1, 0.14, 0.34], [0.08, 0.3, 0.3], [0.3, 0.08, 0.1], [0.15, 0.15, 0.17]]
        jacket = np.array(uni[int(rng.integers(len(uni)))]) * rng.uniform(0.85, 1.15)
        trousers = [0.08, 0.08, 0.1]
    else:
        jacket = rng.uniform(0.05, 0.9, 3)
        trousers = rng.uniform(0.05, 0.6, 3) * (rng.uniform(0.3, 1.0))
    ap = {"jacket": r3(jacket), "trousers": r3(trousers), "hair": r3(hair[int(rng.integers(len(hair)))]),
          "skin": r3(skin), "shoes": r3(rng.uniform(0.03, 0.4, 3)), "shirt": colour(rng, 0.6, 0.97)}
    return {"height_m": r3(h), "sex": sex}, ap


# ----------------------------------------------------------------------------------------------------------------
def make(seed, family, layout=None, clerk_mode=None, n_customers=None, queue=False, name=None, queue_early=False):
    rng = np.random.default_rng([seed, 20261202])
    if family not in CAMERA_FAMILIES:
        raise SystemExit(f"unknown family {family!r} (one of {', '.join(CAMERA_FAMILIES)})")
    layout = layout or LAYOUTS[int(rng.integers(2))]
    # ---- counter, stations
    depth = rng.uniform(0.5, 0.6)
    raised = rng.random() < 0.4
    desk_h = 0.75
    top_h = rng.uniform(1.0, 1.08) if raised else 0.76
    if layout == "one_station":
        x0, x1 = -rng.uniform(1.0, 1.3), rng.uniform(1.0, 1.3)
        sx = [rng.uniform(-0.25, 0.25)]
    else:
        x0, x1 = -rng.uniform(2.1, 2.4), rng.uniform(2.1, 2.4)
        sx = [-1.1 + rng.uniform(-0.15, 0.15), 1.1 + rng.uniform(-0.15, 0.15)]
    names = ["A", "B"][:len(sx)]
    seat_y = -(depth + rng.uniform(0.62, 0.72))
    modes = [clerk_mode or CLERK_MODES[int(rng.integers(2))] for _ in sx]
    has_wait = layout == "two_stations" or queue or rng.random() < 0.6
    wside = 1 if rng.random() < 0.5 else -1
    wx = wside * (x1 + 1.1 if wside > 0 else -x0 + 1.1)
    # waiting zone beside the counter's end, the queue runs along x away from the counter
    wx0 = x1 + 0.5 if wside > 0 else x0 - 0.5
    wx1 = wx0 + wside * 2.6
    waiting = [[min(wx0, wx1), 1.3], [max(wx0, wx1), 1.3], [max(wx0, wx1), 2.4], [min(wx0, wx1), 2.4]] \
        if has_wait else None
    slots = [[wx0 + wside * (0.45 + 0.75 * k), 1.85] for k in range(3)] if has_wait else None

    # ---- camera (rejection sampling inside the ranges)
    hfov = rng.uniform(60, 85)
    key_pts = [[(x0 + x1) / 2, 0.0, top_h]] + [[x, seat_y, 1.0] for x in sx] + [[x, 0.5, 1.0] for x in sx]
    for tries in range(20000):
        z = rng.uniform(2.2, 3.2)
        pitch = rng.uniform(15, 45)
        ht = rng.uniform(0.0, 1.2)
        if family == "front":
            az, T = 90 + rng.uniform(-12, 12), [rng.uniform(-0.6, 0.6), rng.uniform(0.0, 1.5)]
        elif family == "oblique_left":
            az, T = rng.uniform(118, 152), [rng.uniform(-0.8, 0.8), rng.uniform(0.0, 1.5)]
        elif family == "oblique_right":
            az, T = rng.uniform(28, 62), [rng.uniform(-0.8, 0.8), rng.uniform(0.0, 1.5)]
        elif family == "side":
            az = rng.uniform(-20, 20) + (180 if rng.random() < 0.5 else 0)
            T = [rng.uniform(-0.8, 0.8), rng.uniform(-0.3, 1.2)]
        else:
            st = int(rng.integers(len(sx)))
            az, T = 270 + rng.uniform(-22, 22), [sx[st] + rng.uniform(-0.5, 0.5), rng.uniform(1.0, 2.8)]
        d = (z - ht) / math.tan(math.radians(pitch))
        a = math.radians(az)
        pos = np.array([T[0] + d * math.cos(a), T[1] + d * math.sin(a), z])
        if family in ("front", "oblique_left", "oblique_right") and not (pos[1] > 1.5 and pos[1] < 9.0):
            continue
        if family == "side" and not (abs(pos[0]) > max(-x0, x1) + 0.6 and abs(pos[0]) < 8.5 and -1.0 < pos[1] < 3.5):
            continue
        if family == "over_shoulder" and not (seat_y - 1.5 < pos[1] < seat_y - 0.3 and abs(pos[0]) < 3.0):
            continue
        if abs(pos[0]) > 8.5:
            continue
        look = [T[0], T[1], ht]
        cam = Camera(pos, look, hfov)
        need = key_pts if family != "over_shoulder" else [[x, 0.5, 1.0] for x in sx] + [[sx[st], seat_y + 0.3, 0.6]]
        if slots is not None and tries < 15000:   # the waiting zone's first two queue spots in view too
            need = need + [[q[0], q[1], 0.9] for q in slots[:3 if queue_early else 2]]
        if in_view(cam, need):
            break
    else:
        raise SystemExit("no camera found")
    camera = {"position_m": r3(pos), "look_at_m": r3(look), "hfov_deg": r3(hfov), "width": W, "height": H}

    # ---- room
    half = max(5.0, max(-x0, x1) + 3.3)
    room_x0 = min(-half, pos[0] - 0.6)
    room_x1 = max(half, pos[0] + 0.6)
    room_y1 = max(7.0, pos[1] + 0.6)
    back_y = min(seat_y - 1.35, pos[1] - 0.4)
    # doors (and the passer-by's lane between them) behind the waiting zone, in front of a front-ish camera
    lane_hi = 3.8 if family in ("side", "over_shoulder") else max(2.9, min(3.8, pos[1] - 1.2))
    door_l = rng.uniform(2.9, lane_hi)
    door_r = rng.uniform(2.9, lane_hi)
    doors = {"left": (room_x0, door_l), "right": (room_x1, door_r)}

    def outside(side):
        x, y = doors[side]
        return [x - 0.7 if side == "left" else x + 0.7, y]

    duration = float(round(rng.uniform(15, 20), 1))
    persons = []
    visits = {}

    # ---- customers: schedule
    if n_customers is None:
        n_customers = int(rng.choice([0, 1, 2, 2, 3, 3, 4]))
    state = rng.bit_generator.state
    release = 0.0
    for _pass in range(2 if queue and slots is not None else 1):
        rng.bit_generator.state = state
        persons, visits, q_arr = [], {}, []
        free_at = [0.0] * len(sx)
        stand_iv = [[] for _ in sx]
        t_enter = rng.uniform(0.3, 2.5)
        if queue_early:
            t_enter = 0.3 + 0.3 * t_enter
        queue_k = 0
        for i in range(n_customers):
            cid = f"customer{i + 1}"
            b, ap = body(rng)
            tr = Track()
            speed = rng.uniform(0.8, 1.0)
            st = int(np.argmin(free_at)) if len(sx) > 1 and rng.random() < 0.6 else int(rng.integers(len(sx)))
            ent = "left" if rng.random() < 0.5 else "right"
            if queue_early:   # come in through the door on the waiting zone's side
                ent = "right" if wside > 0 else "left"
            p = outside(ent)
            tr.heading = 0.0 if ent == "left" else 180.0
            tr.set(0.0, pos_m=p, heading_deg=tr.heading, stance="stand", arms="sides")
            at = [sx[st] + rng.uniform(-0.2, 0.2), rng.uniform(0.4, 0.55)]
            walk_t = np.linalg.norm(np.subtract(at, p)) / speed
            go_queue = (queue or free_at[st] > t_enter + walk_t) and slots is not None and queue_k < len(slots)
            if go_queue:
                slot = [slots[queue_k][0] + rng.uniform(-0.1, 0.1), slots[queue_k][1] + rng.uniform(-0.05, 0.05)]
                queue_k += 1
                t = tr.walk(t_enter, p, slot, speed)
                q_arr.append(t)
                tr.head(t + 0.6, 270 + rng.uniform(-20, 20))
                leave_q = max(t + rng.uniform(1.0, 2.5), free_at[st], release + 0.8 * (queue_k - 1))
                tr.set(leave_q, pos_m=slot)
                p = slot
                t = tr.walk(leave_q, p, at, speed)
            else:
                t = max(t_enter + walk_t, free_at[st])   # if no queue spot: wait outside the door
                t = tr.walk(t - walk_t, p, at, speed)
            arrive = t
            tr.head(t + 0.6, 270)
            stay = rng.uniform(3.0, 5.5)
            tr.set(t + stay, pos_m=at, arms="sides")
            if rng.random() < 0.5:
                tr.set(arrive + 0.8, arms="front_folded")
            ex = "right" if rng.random() < 0.5 else "left"
            tleave = t + stay
            tr.walk(tleave, at, outside(ex), speed)
            free_at[st] = tleave + 0.4
            stand_iv[st].append((arrive - rng.uniform(0.3, 1.5), tleave + rng.uniform(0.5, 1.5)))
            persons.append({"id": cid, "role": "customer", "body": b, "appearance": ap, "keyframes": tr.out()})
            visits[cid] = names[st]
            t_enter += rng.uniform(1.0, 1.6) if queue else rng.uniform(1.2, 4.0)
            if queue_early:
                t_enter -= 0.3
        if queue and slots is not None:   # nobody is called before the queue is full
            release = max(q_arr[:len(slots)]) + 1.0 if q_arr else 0.0

    # ---- passer-by: door to door, never near the counter
    b, ap = body(rng)
    tr = Track()
    side = "left" if rng.random() < 0.5 else "right"
    other = "right" if side == "left" else "left"
    p0, p1 = outside(side), outside(other)
    sp = rng.uniform(0.9, 1.2)
    dur = np.linalg.norm(np.subtract(p1, p0)) / sp
    t0 = rng.uniform(0.5, max(0.6, duration - dur - 0.5))
    tr.heading = 0.0 if side == "left" else 180.0
    tr.set(0.0, pos_m=p0, heading_deg=tr.heading, stance="stand", arms="sides")
    tr.walk(t0, p0, p1, sp)
    persons.append({"id": "passerby", "role": "passerby", "body": b, "appearance": ap, "keyframes": tr.out()})

    # ---- clerks: sit at the desk, stand (in front of / beside the chair) while a customer is served
    clerks = []
    for si, x in enumerate(sx):
        cid = "clerk" if len(sx) == 1 else f"clerk_{names[si]}"
        b, ap = body(rng, clerk=True)
        tr = Track()
        seat = [x, seat_y]
        if modes[si] == "front":
            standp = [x + rng.uniform(-0.1, 0.1), seat_y + rng.uniform(0.3, 0.5)]
        else:
            standp = [x + (0.55 if rng.random() < 0.5 else -0.55), seat_y + rng.uniform(0.0, 0.15)]
        iv = sorted(stand_iv[si])
        merged = []
        for a, e in iv:
            if merged and a < merged[-1][1] + 1.5:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([a, e])
        if not merged:   # nobody comes: stand up once anyway (e.g. to fetch something)
            a = rng.uniform(2.0, duration - 8.0)
            merged = [[a, a + rng.uniform(3.0, 5.0)]]
        start_standing = rng.random() < 0.25 and merged[0][0] > 4.0
        tr.heading = 90.0
        if start_standing:
            tr.set(0.0, pos_m=standp, heading_deg=90 + rng.uniform(-8, 8), stance="stand", arms="sides")
            tr.set(1.5, pos_m=standp)
            tr.set(2.8, pos_m=seat, stance="sit", transition_s=1.3, arms="desk", heading_deg=90)
        else:
            tr.set(0.0, pos_m=seat, heading_deg=90, stance="sit", arms="desk", neck_flexion_deg=rng.uniform(5, 15))
        for a, e in merged:
            a = max(a, 3.0 if start_standing else 0.5)
            if a + 1.2 >= duration:
                continue
            tr.set(a, pos_m=seat, neck_flexion_deg=rng.uniform(5, 15))
            tr.set(a + 1.2, pos_m=standp, stance="stand", transition_s=1.2, arms="sides", neck_flexion_deg=0,
                   heading_deg=90 + rng.uniform(-10, 10))
            if rng.random() < 0.6:   # a short greeting bow
                tr.set(a + 1.6, trunk_flexion_deg=0)
                tr.set(a + 2.3, trunk_flexion_deg=rng.uniform(15, 30))
                tr.set(a + 3.0, trunk_flexion_deg=0)
            e = max(e, a + 3.5)
            if e + 1.3 < duration:
                tr.set(e, pos_m=standp, heading_deg=90)
                tr.set(e + 1.3, pos_m=seat, stance="sit", transition_s=1.3, arms="desk")
        clerks.append({"id": cid, "role": "clerk", "body": b, "appearance": ap, "keyframes": tr.out()})

    # ---- look
    floor = np.array([0.62, 0.6, 0.56]) * rng.uniform(0.7, 1.25) + rng.uniform(-0.08, 0.08, 3)
    wall = np.clip(rng.uniform(0.7, 0.95) + rng.uniform(-0.08, 0.08, 3), 0, 1)
    laz, lel = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(35, 75))
    noisy = rng.random() < 0.5
    strong = rng.random() < 0.4
    marks = [[-1.5, 1.0], [1.5, 1.0], [-1.5, 2.5], [1.5, 2.5], [0.0, 2.0], [-2.5, 4.0], [2.5, 4.0]]
    if layout == "two_stations":
        marks += [[-3.5, 1.5], [3.5, 1.5]]
    scene = {
        "counter": {"x0_m": r3(x0), "x1_m": r3(x1), "height_m": r3(top_h), "depth_m": r3(depth),
                    "desk_height_m": desk_h},
        "chair": {"pos_m": r3([sx[0], seat_y])},
        "stations": [{"name": names[i], "chair_m": r3([sx[i], seat_y]), "clerk": clerks[i]["id"],
                      "clerk_mode": modes[i], "chair_slide_m": 0.35 if modes[i] == "front" else 0.1}
                     for i in range(len(sx))],
        "visits": visits,
        "monitors_x_m": r3([x - 0.55 for x in sx]),
        "walls_closed": True,
        "side_wall_x": r3(room_x0), "room_x1": r3(room_x1), "back_wall_y": r3(back_y), "room_y1": r3(room_y1),
        "doors_m": [{"wall": "left", "y0": r3(door_l - 0.5), "y1": r3(door_l + 0.5)},
                    {"wall": "right", "y0": r3(door_r - 0.5), "y1": r3(door_r + 0.5)}],
        "floor_colour": r3(np.clip(floor, 0.05, 0.95)), "wall_colour": r3(wall), "accent_colour": colour(rng, 0.1, 0.7),
        "counter_colour": r3(np.array([0.55, 0.42, 0.3]) * rng.uniform(0.6, 1.3)),
        "chair_colour": colour(rng, 0.08, 0.35),
        "tape_marks_m": marks,
        "light_key": r3([math.cos(laz) * math.cos(lel), math.sin(laz) * math.cos(lel), math.sin(lel)]),
        "brightness": r3(rng.uniform(0.75, 1.15)),
        "camera_noise_sigma": r3(rng.uniform(2.0, 5.0)) if noisy else 0.0,
        "noise_seed": int(seed),
        "video_crf": int(rng.integers(32, 35)) if strong else 28,
    }
    if waiting:
        scene["waiting_zone_m"] = r3(waiting)
    name = name or f"{family}_{layout}_s{seed}"
    return {
        "version": 1, "name": name, "duration_s": duration, "fps": FPS, "camera": camera, "scene": scene,
        "persons": clerks + persons,
        "annotations": [],
    }, {"seed": seed, "camera_family": family, "layout_family": layout, "clerk_modes": modes,
        "n_customers": n_customers, "n_people": len(clerks) + len(persons), "queue": bool(queue)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--family", required=True, choices=CAMERA_FAMILIES)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layout", choices=LAYOUTS)
    ap.add_argument("--clerk-mode", choices=CLERK_MODES)
    ap.add_argument("--customers", type=int, choices=range(0, 5))
    ap.add_argument("--queue", action="store_true", help="every customer waits in the waiting zone first")
    ap.add_argument("--queue-early", action="store_true",
                    help="with --queue: customers enter early through the door on the waiting zone's side, the "
                         "whole queue of three in view")
    ap.add_argument("--name")
    a = ap.parse_args(argv)
    d, meta = make(a.seed, a.family, a.layout, a.clerk_mode, a.customers, a.queue, a.name, a.queue_early)
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, d["name"] + ".scenario.yaml")
    head = ("# Generated by tools/render/randomise.py --seed %d --family %s%s -- do not edit by hand.\n# %s\n"
            % (a.seed, a.family, "".join(f" --{k} {v}" for k, v in (("layout", a.layout), ("clerk-mode", a.clerk_mode),
                                                                     ("customers", a.customers), ("name", a.name))
                                         if v is not None) + (" --queue" if a.queue else "")
               + (" --queue-early" if a.queue_early else ""),
               ", ".join(f"{k}={v}" for k, v in meta.items())))
    with open(path, "w") as f:
        f.write(head)
        yaml.safe_dump(d, f, sort_keys=False, default_flow_style=None, width=140)
    print(path)
    return meta


if __name__ == "__main__":
    main()
