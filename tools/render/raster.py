"""A small numpy renderer: an exact pinhole camera, a ray-cast static scene (floor with tiles and tape marks,
walls, boxes) and a vectorised z-buffer triangle rasteriser for the skinned bodies; supersampled for anti-aliasing.

Pixel convention (OpenCV): pixel (u, v) has its centre at integer coordinates; projection x = K (R X + t).
"""

from __future__ import annotations

import math

import numpy as np

LIGHT_KEY = np.array([0.35, 0.55, 0.76])   # toward the light (world), unit-ised below
LIGHT_FILL = np.array([-0.6, 0.3, 0.5])
LIGHT_KEY = LIGHT_KEY / np.linalg.norm(LIGHT_KEY)
LIGHT_FILL = LIGHT_FILL / np.linalg.norm(LIGHT_FILL)


class Camera:
    def __init__(self, position, look_at, hfov_deg, width, height, roll_deg=0.0):
        self.pos = np.asarray(position, float)
        self.w, self.h = int(width), int(height)
        f = np.asarray(look_at, float) - self.pos
        f /= np.linalg.norm(f)
        r = np.cross(f, [0.0, 0.0, 1.0])
        r /= np.linalg.norm(r)
        d = np.cross(f, r)
        if roll_deg:
            a = math.radians(roll_deg)
            r, d = math.cos(a) * r + math.sin(a) * d, -math.sin(a) * r + math.cos(a) * d
        self.R = np.stack([r, d, f])            # world -> camera rows
        self.t = -self.R @ self.pos
        fx = (self.w / 2.0) / math.tan(math.radians(hfov_deg) / 2)
        self.K = np.array([[fx, 0, self.w / 2.0], [0, fx, self.h / 2.0], [0, 0, 1.0]])
        self.fwd = f

    def angles(self):
        f = self.fwd
        pitch = math.degrees(math.asin(-f[2]))   # positive = looking down
        yaw = math.degrees(math.atan2(f[1], f[0]))
        # roll: angle of the camera x axis from the horizontal plane
        roll = math.degrees(math.asin(np.clip(-self.R[0, 2], -1, 1)))
        return pitch, roll, yaw

    def project(self, X):
        """World points (N,3) -> pixels (N,2), camera depth (N,)."""
        Xc = X @ self.R.T + self.t
        z = Xc[:, 2]
        uv = Xc[:, :2] / z[:, None] * self.K[0, 0] + self.K[:2, 2]
        return uv, z

    def rays(self, ss):
        """Unit ray directions (H*ss, W*ss, 3) in world for supersampled pixel centres."""
        H, W = self.h * ss, self.w * ss
        u = (np.arange(W) + 0.5) / ss - 0.5
        v = (np.arange(H) + 0.5) / ss - 0.5
        uu, vv = np.meshgrid(u, v)
        x = (uu - self.K[0, 2]) / self.K[0, 0]
        y = (vv - self.K[1, 2]) / self.K[1, 1]
        d = np.stack([x, y, np.ones_like(x)], -1) @ self.R   # camera -> world (R^T d)
        d /= np.linalg.norm(d, axis=-1, keepdims=True)
        return d.astype(np.float32)


def shade(n, base, amb=0.42):
    """Two-light Lambert + ambient; n (...,3) world normals, base (...,3) albedo."""
    k = np.clip(n @ LIGHT_KEY, 0, None)
    f = np.clip(n @ LIGHT_FILL, 0, None)
    up = 0.5 + 0.5 * n[..., 2]
    l = amb * (0.75 + 0.25 * up) + 0.55 * k + 0.2 * f
    return base * l[..., None]


# ----------------------------------------------------------------------------------------------------------------
class Box:
    def __init__(self, lo, hi, colour, name="box", pattern=None):
        self.lo = np.asarray(lo, float)
        self.hi = np.asarray(hi, float)
        self.colour = np.asarray(colour, float)
        self.name = name
        self.pattern = pattern

    def hit(self, o, d):
        """Ray-box slab test: t (inf where missed) and normal."""
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / d
            t1 = (self.lo - o) * inv
            t2 = (self.hi - o) * inv
        tmin = np.minimum(t1, t2)
        tmax = np.maximum(t1, t2)
        tn = np.nanmax(tmin, axis=-1)
        tf = np.nanmin(tmax, axis=-1)
        ok = (tn <= tf) & (tf > 0) & (tn > 1e-6)
        t = np.where(ok, tn, np.inf)
        ax = np.argmax(tmin, axis=-1)
        nrm = np.zeros(d.shape, np.float32)
        sgn = -np.sign(np.take_along_axis(d, ax[..., None], -1))[..., 0]
        for a in range(3):
            nrm[..., a] = np.where(ax == a, sgn, 0)
        return t, nrm


class Scene:
    """Static geometry: floor (z=0) with tiles and tape crosses, back/side walls, boxes."""

    def __init__(self, floor_colour, tile_m, grout_colour, tape_marks, tape_colour, walls, boxes, room):
        self.floor_colour = np.asarray(floor_colour, float)
        self.tile = tile_m
        self.grout = np.asarray(grout_colour, float)
        self.marks = [np.asarray(m, float) for m in tape_marks]
        self.tape_colour = np.asarray(tape_colour, float)
        self.walls = walls        # list of (axis, value, normal_sign, colour, stripe(z0,z1,colour) or None)
        self.boxes = boxes
        self.room = room          # (xmin, xmax, ymin, ymax)

    def floor_albedo(self, P):
        x, y = P[..., 0], P[..., 1]
        col = np.broadcast_to(self.floor_colour, P.shape).copy()
        # subtle tile-to-tile variation
        ix = np.floor(x / self.tile).astype(int)
        iy = np.floor(y / self.tile).astype(int)
        var = ((ix * 73856093) ^ (iy * 19349663)) % 7 / 6.0 - 0.5
        col *= (1 + 0.05 * var)[..., None]
        gx = np.abs(x / self.tile - np.round(x / self.tile)) * self.tile
        gy = np.abs(y / self.tile - np.round(y / self.tile)) * self.tile
        g = (gx < 0.006) | (gy < 0.006)
        col[g] = self.grout
        for m in self.marks:   # tape cross: two 0.40 m x 0.05 m strips
            dx, dy = np.abs(x - m[0]), np.abs(y - m[1])
            c = ((dx < 0.20) & (dy < 0.025)) | ((dy < 0.20) & (dx < 0.025))
            col[c] = self.tape_colour
        return col

    def raycast(self, cam, ss=2, extra_boxes=()):
        """Colour (H,W,3) float, depth along camera z (H,W), id map (0 floor, 1 wall, 2+ box)."""
        d = cam.rays(ss)
        o = cam.pos.astype(np.float32)
        H, W = d.shape[:2]
        tbest = np.full((H, W), np.inf, np.float32)
        col = np.zeros((H, W, 3), np.float32)
        nrm = np.zeros((H, W, 3), np.float32)
        ids = np.full((H, W), -1, np.int16)
        # floor
        with np.errstate(divide="ignore", invalid="ignore"):
            tf = -o[2] / d[..., 2]
        tf = np.where(tf > 0, tf, np.inf)
        P = o + d * tf[..., None]
        xmin, xmax, ymin, ymax = self.room
        inside = (P[..., 0] >= xmin) & (P[..., 0] <= xmax) & (P[..., 1] >= ymin) & (P[..., 1] <= ymax)
        tf = np.where(inside, tf, np.inf)
        m = tf < tbest
        tbest[m] = tf[m]
        col[m] = self.floor_albedo(P[m])
        nrm[m] = [0, 0, 1]
        ids[m] = 0
        for axis, val, nsign, colour, stripe in self.walls:
            with np.errstate(divide="ignore", invalid="ignore"):
                tw = (val - o[axis]) / d[..., axis]
            tw = np.where(tw > 0, tw, np.inf)
            P = o + d * tw[..., None]
            m = tw < tbest
            if not m.any():
                continue
            tbest[m] = tw[m]
            c = np.broadcast_to(np.asarray(colour, np.float32), (int(m.sum()), 3)).copy()
            Pm = P[m]
            if stripe is not None:
                for z0, z1, sc in stripe:
                    s = (Pm[:, 2] >= z0) & (Pm[:, 2] <= z1)
                    c[s] = sc
            # skirting board
            c[Pm[:, 2] < 0.1] *= 0.55
            col[m] = c
            n = np.zeros(3, np.float32)
            n[axis] = nsign
            nrm[m] = n
            ids[m] = 1
        for k, b in enumerate(list(self.boxes) + list(extra_boxes)):
            t, n = b.hit(o, d)
            m = t < tbest
            if not m.any():
                continue
            tbest[m] = t[m]
            c = np.broadcast_to(b.colour.astype(np.float32), (int(m.sum()), 3)).copy()
            if b.pattern == "paper":
                P = o + d[m] * t[m][:, None]
                lines = (np.abs(((P[:, 1] - b.lo[1]) / 0.012) % 1.0 - 0.5) < 0.15) & (n[m][:, 2] > 0.5)
                c[lines] *= 0.6
            col[m] = c
            nrm[m] = n[m]
            ids[m] = 2 + k
        # background beyond the room: dark
        miss = ~np.isfinite(tbest)
        col[miss] = [0.2, 0.2, 0.22]
        nrm[miss] = [0, 0, 1]
        rgb = shade(nrm, col)
        # fake ambient occlusion along wall/floor junctions and under boxes
        P = o + d * np.where(np.isfinite(tbest), tbest, 0)[..., None]
        zcam = (d @ cam.R[2].astype(np.float32)) * tbest
        return rgb.astype(np.float32), zcam.astype(np.float32), ids, P

    def occluded(self, cam, X, extra_boxes=()):
        """Which world points are hidden from the camera by static boxes (not walls/floor)."""
        o = cam.pos
        v = X - o
        dist = np.linalg.norm(v, axis=1)
        d = v / dist[:, None]
        hid = np.zeros(len(X), bool)
        for b in list(self.boxes) + list(extra_boxes):
            t, _ = b.hit(o, d)
            hid |= t < dist - 0.01
        return hid


# ----------------------------------------------------------------------------------------------------------------
def rasterize(uv, z, col, tris, H, W, zbuf, cbuf, cull=True):
    """Z-buffer rasterise triangles (vertex arrays uv (V,2) in target pixels, z (V,), col (V,3)) into
    zbuf (H,W) / cbuf (H,W,3) in place. Returns mask of written pixels (flat indices)."""
    A = uv[tris[:, 0]]; B = uv[tris[:, 1]]; C = uv[tris[:, 2]]
    area = (B[:, 0] - A[:, 0]) * (C[:, 1] - A[:, 1]) - (B[:, 1] - A[:, 1]) * (C[:, 0] - A[:, 0])
    zt = z[tris]
    keep = (np.abs(area) > 1e-9) & (zt.min(1) > 0.05)
    if cull:
        keep &= area < 0   # front faces are clockwise in image (y down) for outward normals
    tris = tris[keep]; area = area[keep]
    A = uv[tris[:, 0]]; B = uv[tris[:, 1]]; C = uv[tris[:, 2]]
    xs = np.stack([A[:, 0], B[:, 0], C[:, 0]], 1)
    ys = np.stack([A[:, 1], B[:, 1], C[:, 1]], 1)
    x0 = np.clip(np.ceil(xs.min(1)), 0, W); x1 = np.clip(np.floor(xs.max(1)), -1, W - 1)
    y0 = np.clip(np.ceil(ys.min(1)), 0, H); y1 = np.clip(np.floor(ys.max(1)), -1, H - 1)
    wid = (x1 - x0 + 1).astype(int); hei = (y1 - y0 + 1).astype(int)
    ok = (wid > 0) & (hei > 0)
    size = np.maximum(wid, hei)
    all_idx, all_z, all_c = [], [], []
    lo = 0
    for k in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512):
        sel = np.where(ok & (size > lo) & (size <= k))[0]
        lo = k
        if len(sel) == 0:
            continue
        chunk = max(1, 4_000_000 // (k * k))
        oy, ox = np.mgrid[0:k, 0:k]
        ox = ox.ravel(); oy = oy.ravel()
        for s0 in range(0, len(sel), chunk):
            ss = sel[s0:s0 + chunk]
            px = x0[ss][:, None] + ox[None]
            py = y0[ss][:, None] + oy[None]
            valid = (px <= x1[ss][:, None]) & (py <= y1[ss][:, None])
            a, b, c = A[ss], B[ss], C[ss]
            ar = area[ss][:, None]
            w0 = ((b[:, 0:1] - px) * (c[:, 1:2] - py) - (b[:, 1:2] - py) * (c[:, 0:1] - px)) / ar
            w1 = ((c[:, 0:1] - px) * (a[:, 1:2] - py) - (c[:, 1:2] - py) * (a[:, 0:1] - px)) / ar
            w2 = 1 - w0 - w1
            inside = valid & (w0 >= -1e-6) & (w1 >= -1e-6) & (w2 >= -1e-6)
            if not inside.any():
                continue
            r, q = np.nonzero(inside)
            t = ss[r]
            W0, W1, W2 = w0[r, q], w1[r, q], w2[r, q]
            tv = tris[t]
            # perspective-correct depth: interpolate 1/z
            iz = W0 / z[tv[:, 0]] + W1 / z[tv[:, 1]] + W2 / z[tv[:, 2]]
            zz = 1.0 / iz
            cc = (col[tv[:, 0]] * W0[:, None] + col[tv[:, 1]] * W1[:, None] + col[tv[:, 2]] * W2[:, None])
            all_idx.append((py[r, q] * W + px[r, q]).astype(np.int64))
            all_z.append(zz.astype(np.float32))
            all_c.append(cc.astype(np.float32))
    if not all_idx:
        return np.zeros(0, np.int64)
    idx = np.concatenate(all_idx); zz = np.concatenate(all_z); cc = np.concatenate(all_c)
    zf = zbuf.reshape(-1)
    front = zz < zf[idx]
    idx, zz, cc = idx[front], zz[front], cc[front]
    order = np.lexsort((zz, idx))
    idx, zz, cc = idx[order], zz[order], cc[order]
    first = np.ones(len(idx), bool)
    first[1:] = idx[1:] != idx[:-1]
    idx, zz, cc = idx[first], zz[first], cc[first]
    zf[idx] = zz
    cbuf.reshape(-1, 3)[idx] = cc
    return idx


def box_mesh(lo, hi, n=4):
    """A box as a triangle mesh (outward faces), each face split n x n (keeps triangles small on screen)."""
    lo = np.asarray(lo, float); hi = np.asarray(hi, float)
    V, F, N = [], [], []
    for axis in range(3):
        for side in (0, 1):
            a1, a2 = [a for a in range(3) if a != axis]
            base = len(V)
            for i in range(n + 1):
                for j in range(n + 1):
                    p = np.zeros(3)
                    p[axis] = hi[axis] if side else lo[axis]
                    p[a1] = lo[a1] + (hi[a1] - lo[a1]) * i / n
                    p[a2] = lo[a2] + (hi[a2] - lo[a2]) * j / n
                    V.append(p)
                    nn = np.zeros(3); nn[axis] = 1 if side else -1
                    N.append(nn)
            for i in range(n):
                for j in range(n):
                    q = [base + i * (n + 1) + j, base + (i + 1) * (n + 1) + j,
                         base + (i + 1) * (n + 1) + j + 1, base + i * (n + 1) + j + 1]
                    F.append([q[0], q[1], q[2]]); F.append([q[0], q[2], q[3]])
    return np.array(V), np.array(F), np.array(N)
