#!/usr/bin/env python3
"""sample_videos/contact_sheet.jpg: a few labelled frames of every rendered clip (small JPEG)."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "sample_videos")
PICKS = {   # clip -> times (s)
    "reception": [2.0, 6.6, 15.0, 21.0, 30.0, 35.1],
    "bows_front": [2.5, 11.0, 20.3, 24.4],
    "bows_side": [2.5, 11.0, 20.3, 24.4],
    "deportment": [5.0, 11.0, 21.5, 28.0, 33.5, 39.5],
    "clutter": [1.0, 4.0, 7.0, 9.5],
}
TILE = (320, 180)


def main():
    tiles = []
    for clip, ts in PICKS.items():
        mp4 = os.path.join(OUT, clip + ".mp4")
        if not os.path.exists(mp4):
            continue
        gt = json.load(open(os.path.join(OUT, clip + ".gt.json")))
        cap = cv2.VideoCapture(mp4)
        for t in ts:
            k = int(round(t * gt["fps"]))
            cap.set(cv2.CAP_PROP_POS_FRAMES, k)
            ok, fr = cap.read()
            if not ok:
                continue
            im = cv2.resize(fr, TILE, interpolation=cv2.INTER_AREA)
            rec = gt["frames"][k]["persons"].get("clerk", {})
            label = f"{clip} t={t:.1f}s"
            if rec:
                label += f" clerk {rec['stance']} {rec['trunk_flexion_deg']:.0f}deg"
            cv2.rectangle(im, (0, 0), (TILE[0], 16), (0, 0, 0), -1)
            cv2.putText(im, label, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (255, 255, 255), 1, cv2.LINE_AA)
            tiles.append(im)
    cols = 4
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + cols]) for i in range(0, len(tiles), cols)]
    sheet = np.vstack(rows)
    path = os.path.join(OUT, "contact_sheet.jpg")
    q = 80
    while True:
        cv2.imwrite(path, sheet, [cv2.IMWRITE_JPEG_QUALITY, q])
        if os.path.getsize(path) < 290_000 or q <= 40:
            break
        q -= 8
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB, {len(tiles)} tiles, quality {q})")


if __name__ == "__main__":
    main()
