#!/usr/bin/env python3
"""Does MediaPipe find the rendered people?  Per-person crops (from the sidecar's bbox) through the Tasks
PoseLandmarker; prints detection rates and median shoulder/hip pixel errors against the sidecar.

    /work/venvs/dev/bin/python tools/render/check_mediapipe.py sample_videos/reception.mp4 [--model ...]

Runs in the project venv (mediapipe), not in the render tool's venv.
"""

from __future__ import annotations

import argparse
import json
import os

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_MODEL = os.path.join(REPO, "src", "etiquette_cv", "models", "pose_landmarker_full.task")
SH_HIP = [11, 12, 23, 24]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--size", type=int, default=320, help="long side of the upscaled crop")
    ap.add_argument("--margin", type=float, default=0.25)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--json", default=None, help="write the summary here")
    args = ap.parse_args(argv)
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    gt = json.load(open(args.video[:-4] + ".gt.json"))
    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=args.model),
                                        running_mode=vision.RunningMode.IMAGE, num_poses=1,
                                        min_pose_detection_confidence=0.3, min_pose_presence_confidence=0.3)
    lmk = vision.PoseLandmarker.create_from_options(opts)
    cap = cv2.VideoCapture(args.video)
    roles = {p["id"]: p["role"] for p in gt["persons"]}
    stats = {pid: {"n": 0, "found": 0, "err": [], "err_vis": []} for pid in roles}
    per_frame = []
    k = -1
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        k += 1
        if k % args.every or k >= len(gt["frames"]):
            continue
        H, W = frame.shape[:2]
        for pid, rec in gt["frames"][k]["persons"].items():
            if roles[pid] == "customer" and rec["distance_to_counter_m"] > 3.5:
                continue
            inside = np.array(rec["in_frame"], bool)
            if inside.sum() < 17:
                continue
            x0, y0, x1, y1 = rec["bbox_px"]
            w, h = x1 - x0, y1 - y0
            side = max(w, h) * (1 + 2 * args.margin)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            X0, Y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
            X1, Y1 = int(min(W, cx + side / 2)), int(min(H, cy + side / 2))
            crop = frame[Y0:Y1, X0:X1]
            s = args.size / max(crop.shape[:2])
            crop = cv2.resize(crop, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)
            img = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(crop[..., ::-1]))
            res = lmk.detect(img)
            st = stats[pid]
            st["n"] += 1
            per_frame.append((pid, k, rec["trunk_flexion_deg"], bool(res.pose_landmarks)))
            if not res.pose_landmarks:
                continue
            st["found"] += 1
            L = res.pose_landmarks[0]
            ch, cw = crop.shape[:2]
            det = np.array([[L[i].x * cw / s + X0, L[i].y * ch / s + Y0] for i in range(33)])
            ref = np.array(rec["landmarks_px"])
            occ = np.array(rec["occluded"], bool)
            e = np.linalg.norm(det[SH_HIP] - ref[SH_HIP], axis=1)
            st["err"].extend(e.tolist())
            st["err_vis"].extend(e[~occ[SH_HIP]].tolist())
    out = {}
    for pid, st in stats.items():
        if st["n"] == 0:
            continue
        out[pid] = {"frames": st["n"], "found_pct": round(100 * st["found"] / st["n"], 1),
                    "median_sh_hip_err_px": round(float(np.median(st["err"])), 1) if st["err"] else None,
                    "median_visible_sh_hip_err_px": round(float(np.median(st["err_vis"])), 1) if st["err_vis"] else None}
        print(f"{os.path.basename(args.video)} {pid:10s} frames {st['n']:4d}  found {out[pid]['found_pct']:5.1f} %  "
              f"median shoulder/hip err {out[pid]['median_sh_hip_err_px']} px "
              f"(not occluded: {out[pid]['median_visible_sh_hip_err_px']} px)")
    lmk.close()
    bins = [(-90, 20), (20, 50), (50, 80), (80, 180)]
    for pid in roles:
        rows = [r for r in per_frame if r[0] == pid]
        if roles[pid] != "clerk" or not rows:
            continue
        parts = []
        for lo, hi in bins:
            sel = [r[3] for r in rows if lo <= r[2] < hi]
            if sel:
                parts.append(f"flexion {lo}..{hi} deg: {100 * np.mean(sel):.0f} % of {len(sel)}")
        print(f"  {pid} found by trunk flexion: " + "; ".join(parts))
        out.setdefault(pid, {})["found_by_flexion"] = parts
    if args.json:
        json.dump(out, open(args.json, "w"), indent=1)
    return out


if __name__ == "__main__":
    main()
