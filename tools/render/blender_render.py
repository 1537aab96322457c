#!/usr/bin/env python3
"""Second renderer: the same scenario, body, motion and camera as render.py, drawn by Blender (Workbench).

    tools/render/.venv-blender/bin/python tools/render/blender_render.py SCENARIO.yaml --out DIR

Two stages, two interpreters:
  1. *export* (run automatically with the numpy renderer's venv, tools/render/.venv): imports render.py / body.py /
     raster.py / etiquette_cv.sim.scenario, poses and skins every person for every frame exactly as render.py does,
     and writes the geometry (skinned vertices per frame, region labels, static boxes, walls, tape marks, chair and
     clutter states, camera K/R/t) to an .npz.
  2. *render* (this interpreter, with the `bpy` module): builds a Blender scene from the .npz with its own palette,
     studio lighting, cast shadows and cavity shading, sets a camera with the identical intrinsics/extrinsics, renders
     every frame with Workbench and encodes NAME_blender.mp4 with ffmpeg.

The ground-truth sidecar is the numpy renderer's sidecar for the same scenario (identical geometry; pass it with
--sidecar, or NAME.gt.json is looked up next to --out, or render.py --no-video is run to make one), copied with the
`renderer` and `video` fields changed.  Its per-frame landmarks are checked against the exported ones.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NUMPY_PY = os.path.join(HERE, ".venv", "bin", "python")

# region labels of body vertices (recovered from body.py's per-vertex colours)
REGIONS = ["jacket", "trousers", "skin", "hair", "shoes", "shirt", "eye_white", "pupil", "lips", "brows"]


# ================================================================================================================
# Stage 1: export geometry with the numpy renderer's code (run under tools/render/.venv)
# ================================================================================================================
def export(scenario, npz_path, frames=None):
    sys.path.insert(0, os.path.join(REPO, "src"))
    sys.path.insert(0, HERE)
    from etiquette_cv.sim.scenario import load_scenario
    import render as R
    from raster import Camera

    sc = load_scenario(scenario)
    ex = dict(sc.scene.extra)
    cs = sc.camera
    cam = Camera(cs.position_m, cs.look_at_m, cs.hfov_deg, cs.width, cs.height, cs.roll_deg)
    bodies, clerk = R.make_bodies(sc)
    clerk_body = bodies[clerk.id] if clerk else None
    scene = R.build_scene(sc, clerk_body, ex)
    times = sc.times()
    fr = list(range(len(times))) if frames is None else [k for k in frames if k < len(times)]
    out = {"name": np.array(sc.name), "fps": np.array(sc.fps), "frames": np.array(fr, np.int32),
           "times": np.array([times[k] for k in fr]),
           "cam_pos": cam.pos, "cam_R": cam.R, "cam_K": cam.K, "cam_wh": np.array([cam.w, cam.h]),
           "hfov_deg": np.array(cs.hfov_deg), "tile": np.array(scene.tile), "room": np.array(scene.room),
           "marks": np.array(scene.marks).reshape(-1, 2), "person_ids": np.array([p.id for p in sc.persons]),
           "roles": np.array([p.role for p in sc.persons])}
    out["box_lo"] = np.array([b.lo for b in scene.boxes])
    out["box_hi"] = np.array([b.hi for b in scene.boxes])
    out["box_names"] = np.array([b.name for b in scene.boxes])
    out["walls"] = np.array([[w[0], w[1], w[2]] for w in scene.walls], float)     # (axis, value, normal sign)
    out["wall_stripes"] = np.array([[s[0], s[1]] for w in scene.walls for s in (w[4] or [])][:1] or [[1.0, 1.08]])
    # per-person body meshes
    for i, p in enumerate(sc.persons):
        b = bodies[p.id]
        out[f"p{i}_faces"] = b.faces
        out[f"p{i}_labels"] = region_labels(b, p.appearance)
        out[f"p{i}_colour"] = b.colour.astype(np.float32)
        out[f"p{i}_verts"] = np.zeros((len(fr), len(b.rest), 3), np.float32)
        out[f"p{i}_lm"] = np.zeros((len(fr), 33, 3), np.float32)
    # chairs (render.py's stations: one per station with a clerk; boxes built at the rest position, per-frame y
    # offset while the clerk stands) and clutter
    if hasattr(R, "station_list"):
        chairs = [(st["clerk"], np.asarray(st["chair_m"], float), float(st.get("chair_slide_m", 0.35)))
                  for st in R.station_list(sc) if st.get("clerk") in bodies]
    elif clerk is not None and sc.scene.chair_pos_m is not None:
        chairs = [(clerk.id, np.asarray(sc.scene.chair_pos_m, float), 0.35)]
    else:
        chairs = []
    out["n_chairs"] = np.array(len(chairs))
    for c, (cid, cxy, slide) in enumerate(chairs):
        parts = R.chair_boxes(cxy[0], cxy[1], 90, bodies[cid].seat_top_z, [0, 0, 0])
        out[f"chair{c}_lo"] = np.array([a for a, _, _ in parts])
        out[f"chair{c}_hi"] = np.array([b for _, b, _ in parts])
    out["chair_dy"] = np.zeros((len(fr), len(chairs)))
    # extension (walls_closed): a person parked well beyond a wall is not drawn (as in render.py)
    walls_closed = bool(ex.get("walls_closed"))
    rx0, rx1, ry0, ry1 = scene.room
    out["present"] = np.ones((len(fr), len(sc.persons)), bool)
    out["brightness"] = np.array(float(ex.get("brightness", 1.0)))
    out["noise_sigma"] = np.array(float(ex.get("camera_noise_sigma", 0.0)))
    out["video_crf"] = np.array(int(ex.get("video_crf", 0)))
    clutter = [a for a in sc.annotations if a.kind == "clutter"]
    c_lo, c_hi, c_kind = [], [], []
    for a in clutter:
        size = a.size_m if a.size_m is not None else np.array([0.1, 0.1, 0.1])
        lo = np.array(a.pos_m) - [size[0] / 2, size[1] / 2, 0]
        c_lo.append(lo); c_hi.append(lo + size); c_kind.append(a.object)
    out["clutter_lo"] = np.array(c_lo).reshape(-1, 3)
    out["clutter_hi"] = np.array(c_hi).reshape(-1, 3)
    out["clutter_kind"] = np.array(c_kind if c_kind else ["none"])[:len(c_kind)]
    out["clutter_on"] = np.zeros((len(fr), len(clutter)), bool)
    for j, k in enumerate(fr):
        t = float(times[k])
        poses = sc.sample(t)
        for i, p in enumerate(sc.persons):
            ps = bodies[p.id].pose(poses[p.id], t)
            out[f"p{i}_verts"][j] = ps.verts
            out[f"p{i}_lm"][j] = np.round(ps.landmarks, 4)
            x, y = poses[p.id].pos_m
            out["present"][j, i] = not walls_closed or (rx0 - 0.6 < x < rx1 + 0.6 and ry0 - 0.6 < y < ry1 + 0.6)
        for c, (cid, cxy, slide) in enumerate(chairs):
            out["chair_dy"][j, c] = -slide * (1 - poses[cid].sit_blend)
        for m, a in enumerate(clutter):
            out["clutter_on"][j, m] = a.appear_s <= t + 1e-9 and (
                getattr(a, "disappear_s", None) is None or t < a.disappear_s)
    np.savez(npz_path, **out)


def region_labels(b, ap):
    """Region index per vertex, by matching body.py's colours against the appearance colours it used."""
    skin = np.array(ap.get("skin", [0.80, 0.62, 0.50]))
    hair = np.array(ap.get("hair", [0.06, 0.05, 0.04]))
    cand = [np.array(ap.get("jacket", [0.15, 0.2, 0.4])), np.array(ap.get("trousers", [0.12, 0.12, 0.14])), skin,
            hair, np.array(ap.get("shoes", [0.05, 0.05, 0.05])), np.array(ap.get("shirt", [0.92, 0.92, 0.9])),
            np.array([0.9, 0.9, 0.88]), np.array([0.12, 0.08, 0.05]), skin * np.array([0.85, 0.55, 0.55]), hair * 0.8]
    d = np.stack([np.abs(b.colour - c).sum(1) for c in cand], 1)
    lab = np.argmin(d, 1).astype(np.int8)
    # colours shared by several regions: prefer by bone (eyes are their own mesh groups)
    eyeg = np.zeros(len(b.rest), bool)
    eyeg[np.unique(b.faces[b.fgroup > 0])] = True
    lab[~eyeg & (lab == 6)] = np.argmin(d[~eyeg & (lab == 6)][:, :6], 1)
    return lab


# ================================================================================================================
# Stage 2: Blender scene and rendering (run under tools/render/.venv-blender)
# ================================================================================================================
# The Blender look: a palette unrelated to render.py's (cool stone floor, pale sage walls, white/walnut furniture),
# clothing re-coloured from a fixed list, Workbench studio lighting with cast shadows, cavity and specular.
PAL = {
    "floor": (0.50, 0.53, 0.56), "grout": (0.93, 0.93, 0.92), "tape": (0.95, 0.45, 0.08),
    "wall": (0.74, 0.80, 0.72), "side_wall": (0.70, 0.76, 0.69), "stripe": (0.36, 0.24, 0.16),
    "skirting": (0.93, 0.93, 0.92), "outside": (0.08, 0.08, 0.09),
    "counter_top": (0.93, 0.92, 0.88), "desk_top": (0.93, 0.92, 0.88), "front_panel": (0.36, 0.24, 0.16),
    "front_panel_hi": (0.36, 0.24, 0.16), "side_l": (0.36, 0.24, 0.16), "side_r": (0.36, 0.24, 0.16),
    "kick": (0.05, 0.05, 0.05), "leg": (0.75, 0.75, 0.77), "mon_base": (0.75, 0.75, 0.77),
    "mon_post": (0.75, 0.75, 0.77), "monitor": (0.02, 0.02, 0.03), "cabinet": (0.88, 0.88, 0.86),
    "poster": (0.80, 0.30, 0.22), "poster_text": (0.15, 0.12, 0.1), "door": (0.88, 0.88, 0.86),
    "chair": (0.45, 0.10, 0.10),
    "cup": (0.2, 0.5, 0.75), "bag": (0.15, 0.35, 0.2), "paper": (0.95, 0.95, 0.8), "box": (0.55, 0.5, 0.45),
}
# per person (in scenario order): jacket, trousers, shirt, shoes
CLOTHES = [
    ((0.13, 0.13, 0.15), (0.13, 0.13, 0.15), (0.95, 0.95, 0.95), (0.02, 0.02, 0.02)),   # charcoal suit, white shirt
    ((0.10, 0.32, 0.34), (0.78, 0.72, 0.58), (0.90, 0.90, 0.85), (0.35, 0.20, 0.10)),   # teal jacket, khaki chinos
    ((0.25, 0.35, 0.20), (0.15, 0.18, 0.35), (0.90, 0.85, 0.70), (0.80, 0.80, 0.80)),   # olive, navy
    ((0.50, 0.12, 0.18), (0.25, 0.25, 0.27), (0.95, 0.90, 0.90), (0.10, 0.06, 0.04)),   # burgundy, grey
    ((0.70, 0.70, 0.72), (0.10, 0.10, 0.30), (0.20, 0.20, 0.20), (0.60, 0.30, 0.15)),   # light grey, navy
]


def _box_geom(lo, hi):
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    v = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0), (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]
    f = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    return v, f


class MeshBuilder:
    """Accumulates quads/tris with a flat colour per face; becomes one Blender mesh with a corner colour attribute."""

    def __init__(self):
        self.v, self.f, self.c = [], [], []

    def add(self, verts, faces, colour):
        off = len(self.v)
        self.v.extend(verts)
        self.f.extend([tuple(i + off for i in face) for face in faces])
        self.c.extend([colour] * len(faces))

    def box(self, lo, hi, colour):
        v, f = _box_geom(lo, hi)
        self.add(v, f, colour)

    def quad(self, p0, p1, p2, p3, colour):
        self.add([p0, p1, p2, p3], [(0, 1, 2, 3)], colour)

    def to_object(self, bpy, name):
        me = bpy.data.meshes.new(name)
        me.from_pydata(self.v, [], self.f)
        me.update()
        attr = me.color_attributes.new("Col", "FLOAT_COLOR", "CORNER")
        cols = np.repeat(np.array([tuple(c) + (1.0,) for c in self.c], np.float32),
                         [len(face) for face in self.f], axis=0)
        attr.data.foreach_set("color", cols.ravel())
        me.color_attributes.active_color = attr
        ob = bpy.data.objects.new(name, me)
        bpy.context.scene.collection.objects.link(ob)
        return ob


def build_static(bpy, d):
    mb = MeshBuilder()
    xmin, xmax, ymin, ymax = [float(x) for x in d["room"]]
    tile = float(d["tile"])
    g = 0.006
    # everything is a closed box (Workbench's stencil shadows misbehave on open quads)
    # grout: a slab just below the tiles; tiles inset by the grout half-width, with a little per-tile variation
    mb.box((xmin, ymin, -0.1), (xmax, ymax, -0.002), PAL["grout"])
    i0, i1 = math.floor(xmin / tile), math.ceil(xmax / tile)
    j0, j1 = math.floor(ymin / tile), math.ceil(ymax / tile)
    for i in range(i0, i1):
        for j in range(j0, j1):
            ax, bx = max(i * tile + g, xmin), min((i + 1) * tile - g, xmax)
            ay, by = max(j * tile + g, ymin), min((j + 1) * tile - g, ymax)
            if bx <= ax or by <= ay:
                continue
            var = 1 + 0.07 * (((i * 31 + j * 17) % 5) / 4.0 - 0.5)
            mb.box((ax, ay, -0.01), (bx, by, 0.0), tuple(c * var for c in PAL["floor"]))
    for mx, my in d["marks"]:   # tape crosses (same size as render.py's: two 0.40 x 0.05 m strips)
        for hx, hy in ((0.20, 0.025), (0.025, 0.20)):
            mb.box((mx - hx, my - hy, -0.005), (mx + hx, my + hy, 0.0015), PAL["tape"])
    floor = mb.to_object(bpy, "floor")
    floor.display.show_shadows = False    # receives shadows only (many small coplanar boxes break stencil shadows)
    mb = MeshBuilder()
    # walls (back wall at y = ymin facing +y, side wall at x = xmin facing +x), stripe and skirting as thin boxes
    z_top = 3.2
    s0, s1 = [float(x) for x in d["wall_stripes"][0]]
    for axis, val, nsign in d["walls"]:      # a 0.1 m thick box on the outside of each wall plane
        axis = int(axis)
        col = PAL["wall"] if axis == 1 else PAL["side_wall"]
        t0, t1 = (val - 0.1, val) if nsign > 0 else (val, val + 0.1)
        s_in = 0.012 * nsign
        k_in = 0.015 * nsign
        if axis == 1:
            mb.box((xmin - 0.1, t0, -0.1), (xmax + 0.1, t1, z_top), col)
            mb.box((xmin, min(val, val + s_in), s0), (xmax, max(val, val + s_in), s1), PAL["stripe"])
            mb.box((xmin, min(val, val + k_in), 0), (xmax, max(val, val + k_in), 0.1), PAL["skirting"])
        else:
            mb.box((t0, ymin - 0.1, -0.1), (t1, ymax + 0.1, z_top), col)
            mb.box((min(val, val + s_in), ymin, s0), (max(val, val + s_in), ymax, s1), PAL["stripe"])
            mb.box((min(val, val + k_in), ymin, 0), (max(val, val + k_in), ymax, 0.1), PAL["skirting"])
    for lo, hi, name in zip(d["box_lo"], d["box_hi"], d["box_names"]):
        mb.box(tuple(lo), tuple(hi), PAL.get(str(name), (0.6, 0.6, 0.6)))
    return [floor, mb.to_object(bpy, "static")]


def body_object(bpy, name, faces, labels, verts0, idx):
    jacket, trousers, shirt, shoes = CLOTHES[idx % len(CLOTHES)]
    me = bpy.data.meshes.new(name)
    me.from_pydata(verts0.astype(float).tolist(), [], faces.tolist())
    me.update()
    me.polygons.foreach_set("use_smooth", np.ones(len(me.polygons), bool))
    skin = None
    table = {0: jacket, 1: trousers, 4: shoes, 5: shirt, 6: (0.92, 0.92, 0.92), 7: (0.05, 0.04, 0.03)}
    return me, table


def set_body_colours(me, labels, base_colour, table):
    col = np.array(base_colour, np.float32).copy()
    for lab, c in table.items():
        col[labels == lab] = c
    attr = me.color_attributes.new("Col", "FLOAT_COLOR", "POINT")
    rgba = np.concatenate([col, np.ones((len(col), 1), np.float32)], 1)
    attr.data.foreach_set("color", rgba.ravel())
    me.color_attributes.active_color = attr


def setup_camera(bpy, d):
    from mathutils import Matrix
    w, h = [int(x) for x in d["cam_wh"]]
    K = d["cam_K"]
    Rm = d["cam_R"]
    cam_data = bpy.data.cameras.new("cam")
    cam_data.sensor_fit = "HORIZONTAL"
    cam_data.sensor_width = 36.0
    cam_data.lens = float(K[0, 0]) * 36.0 / w          # fx in pixels -> focal length in mm for a 36 mm sensor
    # render.py's principal point (W/2, H/2) sits on a pixel *centre* (OpenCV, centres at integers); Blender's
    # optical axis goes through the image centre = a pixel *corner*. Shift by half a pixel right and down.
    # Blender's shift is in units of the larger image side; +x moves the view right, +y up.
    cam_data.shift_x = -(float(K[0, 2]) + 0.5 - w / 2.0) / max(w, h)
    cam_data.shift_y = (float(K[1, 2]) + 0.5 - h / 2.0) / max(w, h)
    cam_data.clip_start = 0.05
    cam_data.clip_end = 100.0
    ob = bpy.data.objects.new("cam", cam_data)
    bpy.context.scene.collection.objects.link(ob)
    r, dn, f = Rm[0], Rm[1], Rm[2]                      # world->camera rows: right, down, forward
    M = np.eye(4)
    M[:3, 0], M[:3, 1], M[:3, 2] = r, -dn, -f           # Blender camera: +x right, +y up, looks along -z
    M[:3, 3] = d["cam_pos"]
    ob.matrix_world = Matrix(M.tolist())
    bpy.context.scene.camera = ob
    sc = bpy.context.scene
    sc.render.resolution_x, sc.render.resolution_y, sc.render.resolution_percentage = w, h, 100
    sc.render.pixel_aspect_x = sc.render.pixel_aspect_y = 1.0
    return ob


def setup_look(bpy, aa="8"):
    sc = bpy.context.scene
    sc.render.engine = "BLENDER_WORKBENCH"
    sh = sc.display.shading
    sh.light = "STUDIO"
    sh.studio_light = "Default"
    sh.use_world_space_lighting = False  # studio light and shadow direction fixed relative to the camera
    sh.color_type = "VERTEX"            # "Attribute": the colour attribute of each mesh
    sh.show_shadows = True              # stencil shadows from one directional light
    sh.shadow_intensity = 0.5
    sh.show_cavity = True               # ambient-occlusion-like darkening in creases
    sh.cavity_type = "WORLD"
    sh.cavity_ridge_factor = 0.6
    sh.cavity_valley_factor = 1.0
    sh.show_specular_highlight = True
    sh.show_object_outline = False
    sh.background_type = "WORLD"
    # shadow light in view space (chosen by looking at test frames): high, from the side, shadows short and to the
    # side of the people, no large wall shadows
    sc.display.light_direction = (0.51, 0.83, 0.2)
    sc.display.shadow_shift = 0.05
    sc.display.shadow_focus = 0.3
    sc.display.render_aa = aa
    sc.view_settings.view_transform = "Standard"
    sc.view_settings.look = "None"
    sc.render.dither_intensity = 0.0     # Blender's default dither noise costs a lot of bits in flat areas
    sc.render.image_settings.file_format = "PNG"
    sc.render.image_settings.color_mode = "RGB"
    sc.render.image_settings.compression = 15
    if sc.world is None:
        sc.world = bpy.data.worlds.new("world")
    sc.world.color = PAL["outside"]


def render_blender(npz_path, out_png_dir, png_keep=(), mask_frames=(), aa="8", threads=0):
    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    d = dict(np.load(npz_path, allow_pickle=False))
    sc = bpy.context.scene
    if threads:
        sc.render.threads_mode = "FIXED"
        sc.render.threads = threads
    setup_look(bpy, aa)
    sc.view_settings.exposure = math.log2(max(float(d["brightness"]), 1e-3))   # scene.brightness (render.py: x)
    setup_camera(bpy, d)
    static = build_static(bpy, d)
    chairs = []
    for c in range(int(d["n_chairs"])):
        mb = MeshBuilder()
        for lo, hi in zip(d[f"chair{c}_lo"], d[f"chair{c}_hi"]):
            mb.box(tuple(lo), tuple(hi), PAL["chair"])
        chairs.append(mb.to_object(bpy, f"chair{c}"))
    clutter = []
    for m, (lo, hi, kind) in enumerate(zip(d["clutter_lo"], d["clutter_hi"], d["clutter_kind"])):
        mb = MeshBuilder()
        mb.box(tuple(lo), tuple(hi), PAL.get(str(kind), (0.5, 0.5, 0.5)))
        clutter.append(mb.to_object(bpy, f"clutter{m}"))
    bodies = []
    for i in range(len(d["person_ids"])):
        me, table = body_object(bpy, f"person{i}", d[f"p{i}_faces"], d[f"p{i}_labels"], d[f"p{i}_verts"][0], i)
        set_body_colours(me, d[f"p{i}_labels"], d[f"p{i}_colour"], table)
        ob = bpy.data.objects.new(f"person{i}", me)
        sc.collection.objects.link(ob)
        bodies.append((ob, me))
    frames = d["frames"]
    times_ = []
    for j, k in enumerate(frames):
        t0 = time.time()
        for i, (ob, me) in enumerate(bodies):
            me.vertices.foreach_set("co", d[f"p{i}_verts"][j].astype(np.float32).ravel())
            me.update()
        for c, ob in enumerate(chairs):
            ob.location = (0.0, float(d["chair_dy"][j, c]), 0.0)
        for i, (ob, me) in enumerate(bodies):
            ob.hide_render = not bool(d["present"][j, i])
        for m, ob in enumerate(clutter):
            ob.hide_render = not bool(d["clutter_on"][j, m])
        sc.render.filepath = os.path.join(out_png_dir, f"{j:05d}.png")
        bpy.ops.render.render(write_still=True)
        times_.append(time.time() - t0)
        if int(k) in mask_frames:
            render_masks(bpy, sc, static + chairs + clutter, [b[0] for b in bodies],
                         os.path.join(out_png_dir, f"mask_{int(k):05d}.png"), aa)
        if j % 20 == 0:
            print(f"[blender] frame {int(k)} ({j + 1}/{len(frames)}) {times_[-1]:.2f} s", flush=True)
    return times_


MASK_COLOURS = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (0, 1, 1), (1, 0, 1)]


def render_masks(bpy, sc, static_objs, body_objs, path, aa):
    """Flat, un-antialiased id renders of the bodies (one pure colour each) for the alignment check:
    PATH_vis.png with the static scene and chairs as black occluders, PATH_alone.png with the bodies only."""
    sh = sc.display.shading
    saved = (sh.light, sh.color_type, sh.show_shadows, sh.show_cavity, sh.show_specular_highlight,
             sc.view_settings.view_transform, sc.view_settings.look, sc.display.render_aa, sc.render.filepath,
             sc.view_settings.exposure)
    sc.view_settings.exposure = 0.0
    for i, ob in enumerate(body_objs):
        ob.color = MASK_COLOURS[i % len(MASK_COLOURS)] + (1.0,)
    static_objs = [ob for ob in static_objs if ob is not None]
    for ob in static_objs:
        ob.color = (0.0, 0.0, 0.0, 1.0)
    sh.light, sh.color_type = "FLAT", "OBJECT"
    sh.show_shadows = sh.show_cavity = sh.show_specular_highlight = False
    sc.view_settings.view_transform, sc.view_settings.look = "Standard", "None"
    sc.display.render_aa = "OFF"
    world_col = tuple(sc.world.color)
    sc.world.color = (0, 0, 0)
    sc.render.filepath = path.replace(".png", "_vis.png")
    bpy.ops.render.render(write_still=True)
    hidden = [ob.hide_render for ob in static_objs]
    for ob in static_objs:
        ob.hide_render = True
    sc.render.filepath = path.replace(".png", "_alone.png")
    bpy.ops.render.render(write_still=True)
    for ob, h in zip(static_objs, hidden):
        ob.hide_render = h
    sc.world.color = world_col
    (sh.light, sh.color_type, sh.show_shadows, sh.show_cavity, sh.show_specular_highlight,
     sc.view_settings.view_transform, sc.view_settings.look, sc.display.render_aa, sc.render.filepath,
     sc.view_settings.exposure) = saved


# ================================================================================================================
# Orchestration (under tools/render/.venv-blender)
# ================================================================================================================
def find_sidecar(args, name):
    cands = [args.sidecar] if args.sidecar else [os.path.join(args.out, name + ".gt.json"),
                                                 os.path.join(REPO, "sample_videos", name + ".gt.json")]
    for c in cands:
        if c and os.path.exists(c):
            with open(c) as f:
                gt = json.load(f)
            if os.path.relpath(os.path.abspath(args.scenario), REPO) == gt.get("scenario") or args.sidecar:
                return c, gt
    return None, None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--out", default=os.path.join(REPO, "sample_videos"))
    ap.add_argument("--frames", default=None, help="a:b range or comma list (debug; the video gets only these)")
    ap.add_argument("--png", default=None, help="keep these frame indices as PNG in --out (comma list)")
    ap.add_argument("--check", default=None, help="frame indices (comma list) for the silhouette alignment check")
    ap.add_argument("--sidecar", default=None, help="numpy renderer's NAME.gt.json for this scenario")
    ap.add_argument("--debug-dir", default=None, help="where --png frames, --check masks and the check report go "
                    "(default: --out)")
    ap.add_argument("--crf", type=int, default=None, help="x264 CRF (default: scene.video_crf, else 28)")
    ap.add_argument("--max-mb", type=float, default=1.5, help="re-encode with CRF + 2 until the video is this small")
    ap.add_argument("--aa", default="5", help="Workbench render_aa samples (OFF, FXAA, 5, 8, 11, 16, 32)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--keep-npz", default=None)
    ap.add_argument("--s-per-frame", type=float, default=None,
                    help="with --sidecar-only: the measured Blender s/frame to record (default: from the old sidecar)")
    ap.add_argument("--sidecar-only", action="store_true",
                    help="do not render: (re)write NAME_blender.gt.json/.yaml from the numpy sidecar (e.g. once the "
                         "numpy renderer's NAME.gt.json exists), keeping the recorded Blender timing")
    ap.add_argument("--export-only", metavar="NPZ", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    frames = None
    if args.frames:
        if ":" in args.frames:
            a, b = (int(x) for x in args.frames.split(":"))
            frames = list(range(a, b))
        else:
            frames = [int(x) for x in args.frames.split(",")]

    if args.export_only:                         # stage 1, called under the numpy venv
        export(args.scenario, args.export_only, frames)
        return

    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="blender_render_")
    try:
        npz = args.keep_npz or os.path.join(work, "geom.npz")
        t0 = time.time()
        cmd = [NUMPY_PY, os.path.abspath(__file__), args.scenario, "--export-only", npz]
        if args.frames:
            cmd += ["--frames", args.frames]
        subprocess.run(cmd, check=True)
        t_export = time.time() - t0
        d = np.load(npz, allow_pickle=False)
        name, fps = str(d["name"]), float(d["fps"])
        frames_np = d["frames"].tolist()
        print(f"[blender] exported {len(frames_np)} frames in {t_export:.1f} s", flush=True)
        check = [int(x) for x in args.check.split(",")] if args.check else []
        pngdir = os.path.join(work, "png")
        os.makedirs(pngdir)
        t1 = time.time()
        if args.sidecar_only:
            prev = os.path.join(args.out, name + "_blender.gt.json")
            if args.s_per_frame is None and os.path.exists(prev):
                with open(prev) as f:
                    args.s_per_frame = json.load(f)["renderer"]["mean_s_per_frame"]
            tpf = [args.s_per_frame if args.s_per_frame is not None else float("nan")] * len(frames_np)
            args.no_video, args.png = True, None
            dbg_ = args.debug_dir or args.out     # check again only if the masks of an earlier run are there
            check = [k for k in check if os.path.exists(os.path.join(dbg_, f"{name}_blender_mask_{k:04d}_vis.png"))]
        else:
            tpf = render_blender(npz, pngdir, mask_frames=set(check), aa=args.aa, threads=args.threads)
        t_render = time.time() - t1
        print(f"[blender] rendered {len(tpf)} frames: {np.mean(tpf):.2f} s/frame (median {np.median(tpf):.2f})",
              flush=True)
        keep = set(int(x) for x in args.png.split(",")) if args.png else set()
        dbg = args.debug_dir or args.out
        os.makedirs(dbg, exist_ok=True)
        for j, k in enumerate(frames_np):
            if k in keep:
                shutil.copy(os.path.join(pngdir, f"{j:05d}.png"), os.path.join(dbg, f"{name}_blender_{k:04d}.png"))
            if k in check and not args.sidecar_only:
                for kind in ("vis", "alone"):
                    shutil.copy(os.path.join(pngdir, f"mask_{k:05d}_{kind}.png"),
                                os.path.join(dbg, f"{name}_blender_mask_{k:04d}_{kind}.png"))
        video = name + "_blender.mp4"
        crf = args.crf if args.crf is not None else (int(d["video_crf"]) or 28)
        # scene.camera_noise_sigma (render.py: Gaussian, sigma in 8-bit levels): ffmpeg's temporal uniform noise of
        # the same standard deviation (uniform in [-a, a] has sigma a / sqrt 3)
        sigma = float(d["noise_sigma"])
        vf = ["-vf", f"noise=alls={max(1, round(sigma * math.sqrt(3)))}:allf=t"] if sigma > 0 else []
        while not args.no_video:       # raise the CRF until the clip fits --max-mb
            subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-framerate", f"{fps:g}", "-i",
                            os.path.join(pngdir, "%05d.png")] + vf + ["-c:v", "libx264", "-preset", "slow", "-crf",
                            str(crf), "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                            os.path.join(args.out, video)], check=True)
            if os.path.getsize(os.path.join(args.out, video)) <= args.max_mb * 1e6 or crf >= 40:
                break
            crf += 2
        if not args.no_video:
            print(f"[blender] wrote {os.path.join(args.out, video)} "
                  f"({os.path.getsize(os.path.join(args.out, video)) / 1e6:.2f} MB, CRF {crf})", flush=True)
        # ---- sidecar
        sc_path, gt = find_sidecar(args, name)
        if gt is None:
            print("[blender] no numpy sidecar found: running render.py --no-video to make one", flush=True)
            tmp = os.path.join(work, "np")
            cmd = [NUMPY_PY, os.path.join(HERE, "render.py"), args.scenario, "--out", tmp, "--no-video", "--calib"]
            subprocess.run(cmd + (["--frames", args.frames] if args.frames else []), check=True)
            sc_path = os.path.join(tmp, name + ".gt.json")
            with open(sc_path) as f:
                gt = json.load(f)
        # identical geometry: the exported landmarks must equal the sidecar's
        by_index = {fr["index"]: fr for fr in gt["frames"]}
        pids = [str(x) for x in d["person_ids"]]
        dmax = 0.0
        n_cmp = 0
        for j, k in enumerate(frames_np):
            if k not in by_index:
                continue
            for i, pid in enumerate(pids):
                X = np.array(by_index[k]["persons"][pid]["landmarks_world_m"])
                dmax = max(dmax, float(np.abs(X - d[f"p{i}_lm"][j]).max()))
                n_cmp += 1
        print(f"[blender] sidecar {sc_path}: landmark max |diff| vs export {dmax:.2e} m over {n_cmp} person-frames")
        if n_cmp == 0 or dmax > 2e-4:
            raise SystemExit("sidecar does not match this scenario's geometry")
        import bpy
        gt["renderer"] = {"kind": "Blender Workbench (tools/render/blender_render.py)",
                          "truth_source": "tools/render/render.py --no-video (same scenario, run by blender_render.py)"
                          if os.path.abspath(sc_path).startswith(work) else os.path.relpath(os.path.abspath(sc_path), REPO),
                          "blender_version": bpy.app.version_string,
                          "look": "own palette and clothing colours, studio light, cast shadows, cavity, AA " + args.aa,
                          "geometry_from": "tools/render/body.py + render.py scene (identical to the numpy renderer)",
                          "truth_copied_from": gt.get("renderer", {}).get("kind"),
                          "mean_s_per_frame": None if np.isnan(np.mean(tpf)) else round(float(np.mean(tpf)), 3)}
        gt["video"] = video
        if args.frames:
            gt["frames"] = [by_index[k] for k in frames_np if k in by_index]
            gt["n_frames"] = len(gt["frames"])
        path = os.path.join(args.out, name + "_blender.gt.json")
        with open(path, "w") as f:
            json.dump(gt, f, separators=(",", ":"))
        calib = os.path.join(os.path.dirname(sc_path), name + ".yaml")   # product calibration (people set)
        if os.path.exists(calib):
            shutil.copy(calib, os.path.join(args.out, name + "_blender.yaml"))
            print(f"[blender] copied calibration {calib} -> {name}_blender.yaml")
        print(f"[blender] wrote {path}; export {t_export:.0f} s, render {t_render:.0f} s "
              f"({t_render / max(len(tpf), 1):.2f} s/frame incl. overhead)")
        if check:
            check_alignment(dbg, name, gt, check)
    finally:
        if not os.environ.get("BLENDER_RENDER_KEEP_TMP"):
            shutil.rmtree(work, ignore_errors=True)


def _load_mask(bpy, path, W, H):
    img = bpy.data.images.load(path)
    px = np.empty(W * H * 4, np.float32)
    img.pixels.foreach_get(px)
    bpy.data.images.remove(img)
    return px.reshape(H, W, 4)[::-1, :, :3]          # Blender images are bottom-up


def _bbox(m):
    ys, xs = np.nonzero(m)
    return [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]


def check_alignment(out, name, gt, check):
    """Per person and check frame, from the flat id renders:
    * 'alone' silhouette (bodies only) bbox vs the sidecar's whole-body bbox clipped to the frame (v1 `bbox_px`,
      `bbox_clipped_px` in people-set sidecars): pixels whose centre is covered, so each edge should lie within
      1 px inside the projected-vertex bbox (differences in [0, 1) for x0/y0, (-1, 0] for x1/y1);
    * 'vis' silhouette (static scene, chairs and other people occluding) bbox vs the people-set `bbox_px` (visible
      pixels of the numpy renderer's final frame, at 1/2-px resolution);
    * landmarks (in frame) that land on the 'alone' silhouette, exactly and within 1 px."""
    import bpy
    by_index = {fr["index"]: fr for fr in gt["frames"]}
    pids = [p["id"] for p in gt["persons"]]
    W, H = gt["camera"]["width"], gt["camera"]["height"]
    report = []
    worst = 0.0
    for k in check:
        alone = _load_mask(bpy, os.path.join(out, f"{name}_blender_mask_{k:04d}_alone.png"), W, H)
        vis = _load_mask(bpy, os.path.join(out, f"{name}_blender_mask_{k:04d}_vis.png"), W, H)
        for i, pid in enumerate(pids):
            c = np.array(MASK_COLOURS[i % len(MASK_COLOURS)], np.float32)
            rec = by_index[k]["persons"][pid]
            ma = np.all(np.abs(alone - c) < 0.1, -1)
            mv = np.all(np.abs(vis - c) < 0.1, -1)
            people_set = "bbox_clipped_px" in rec
            clipped = rec["bbox_clipped_px"] if people_set else rec["bbox_px"]
            line = f"frame {k} {pid}:"
            if ma.any():
                d = [round(float(a - b), 2) for a, b in zip(_bbox(ma), clipped)]
                line += f" alone-bbox - clipped whole-body bbox = {d} px;"
            else:
                line += " not drawn / not in frame;"
            if people_set:
                vb = rec["bbox_px"]
                if mv.any() and vb is not None:
                    d = [round(float(a - b), 2) for a, b in zip(_bbox(mv), vb)]
                    line += f" visible-bbox - sidecar bbox_px = {d} px (visible_fraction {rec['visible_fraction']});"
                    worst = max(worst, max(abs(x) for x in d))
                else:
                    line += f" visible: blender {bool(mv.any())}, sidecar {vb is not None};"
            if ma.any():
                uv = np.array(rec["landmarks_px"])
                ok = np.array(rec["in_frame"], bool)
                ui = np.clip(np.round(uv).astype(int), 0, [W - 1, H - 1])
                near = np.zeros(len(uv), bool)
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        near |= ma[np.clip(ui[:, 1] + dy, 0, H - 1), np.clip(ui[:, 0] + dx, 0, W - 1)]
                line += (f" landmarks on silhouette {int(ma[ui[:, 1], ui[:, 0]][ok].sum())}/{int(ok.sum())}"
                         f" (within 1 px: {int(near[ok].sum())})")
            report.append(line)
    if any("visible-bbox" in r for r in report):
        report.append(f"max |visible-bbox edge difference| {worst:.2f} px")
    print("\n".join("[check] " + r for r in report))
    with open(os.path.join(out, f"{name}_blender_check.txt"), "w") as f:
        f.write("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
