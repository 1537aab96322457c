#!/usr/bin/env python3
"""Generate (and render) the gestures-to-avoid set benchmarks/avoid_set/: a clerk fiddling with their hair (DB 表4,
a violation) and holding a phone to the ear (CC 通用规范㈠10, allowed: the look-alike that must not be flagged),
shaking the head (a violation) and looking to each side (allowed), waving a hand for "don't know" (摆手, a
violation) and waving goodbye (allowed), hands in the pockets (a violation) and folded in front (allowed), knocking
on the counter (not graded yet) and a hand resting on it, leaning on the counter and a held apology bow, leaning
back in the chair and lying on the desk, standing after greeting the customer or seated, from
role-play cameras.

    python tools/render/avoid_set.py scenarios            # write every NAME.scenario.yaml + manifest.json
    python tools/render/avoid_set.py render [NAME ...]    # render NAME.mp4 / .gt.json / .yaml, one at a time

Run with the renderer's venv (tools/render/.venv/bin/python). Split rule (checked here): held-out clips use other
seeds than tuning clips, and only held-out clips have the far distance band (camera 3.4-4.0 m from the clerk).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SET = os.path.join(REPO, "benchmarks", "avoid_set")
sys.path.insert(0, HERE)

from roleplay_set import main, write_clip, write_manifest  # noqa: E402

# (split, seed, variation, camera family, distance band)
CLIPS = [
    ("tuning", 331, "hair", "front", "near"),
    ("tuning", 332, "phone", "oblique", "near"),
    ("tuning", 333, "both", "oblique", "near"),
    ("tuning", 334, "hair_seated", "front", "near"),
    # a phone on a tall tripod that sees the floor: these are also reviewed with their floor calibration
    ("tuning", 335, "hair", "tripod_high", "near"),
    ("tuning", 336, "both", "tripod_high", "near"),
    ("heldout", 431, "hair", "oblique", "far"),
    ("heldout", 432, "both", "front", "far"),
    ("heldout", 433, "phone_seated", "oblique", "near"),
    ("heldout", 434, "hair_seated", "oblique", "far"),
    ("heldout", 435, "both", "tripod_high", "far"),
    ("heldout", 436, "hair_seated", "tripod_high", "near"),
    # shaking the head for "don't know" (to avoid) and its look-alike, a slow look to each side (allowed)
    ("tuning", 337, "shake", "front", "near"),
    ("tuning", 338, "shake_seated", "oblique", "near"),
    ("tuning", 339, "look", "tripod_high", "near"),
    ("heldout", 437, "shake", "oblique", "far"),
    ("heldout", 438, "shake_seated", "tripod_high", "near"),
    ("heldout", 439, "look", "front", "far"),
    # waving a hand for "don't know" (摆手, to avoid) and its look-alike, a farewell wave (allowed)
    ("tuning", 340, "waveno", "front", "near"),
    ("tuning", 341, "waveno_seated", "oblique", "near"),
    ("tuning", 342, "waveno", "tripod_high", "near"),
    ("tuning", 343, "bye", "oblique", "near"),
    ("heldout", 440, "waveno", "oblique", "far"),
    ("heldout", 441, "waveno_seated", "front", "far"),
    ("heldout", 442, "waveno_seated", "tripod_high", "near"),
    ("heldout", 443, "bye", "front", "far"),
    # hands in the pockets (DB 表4 站姿, a violation; the hands hidden) after hands folded in front (allowed)
    ("tuning", 344, "pockets", "front", "near"),
    ("tuning", 345, "pockets", "oblique", "near"),
    ("tuning", 346, "pockets", "tripod_high", "near"),
    ("tuning", 347, "folded", "tripod_high", "near"),
    ("heldout", 444, "pockets", "oblique", "far"),
    ("heldout", 445, "pockets", "front", "far"),
    ("heldout", 446, "pockets", "tripod_high", "far"),
    ("heldout", 447, "folded", "front", "far"),
    # knocking on the counter or desk to call a customer (to avoid) after the hand rested on it (allowed)
    ("tuning", 348, "tap", "front", "near"),
    ("tuning", 349, "tap_seated", "oblique", "near"),
    ("tuning", 350, "tap", "tripod_high", "near"),
    ("tuning", 351, "rest_seated", "front", "near"),
    ("heldout", 448, "tap", "oblique", "far"),
    ("heldout", 449, "tap_seated", "front", "far"),
    ("heldout", 450, "tap_seated", "tripod_high", "near"),
    ("heldout", 451, "rest", "oblique", "far"),
    # leaning on the counter (CC ㈠6 斜靠) then a held apology bow (its look-alike); seated: leaning back in the chair
    # (DB 表4 仰靠椅背), then lying on the desk (CC ㈠7): graded by the review, so from a tall tripod that calibrates
    ("tuning", 352, "lean_counter", "tripod_high", "near"),
    ("tuning", 353, "lean_counter", "tripod_high", "near"),
    ("tuning", 354, "lean_back_seated", "tripod_high", "near"),
    ("tuning", 355, "lean_back_seated", "tripod_high", "near"),
    ("tuning", 356, "lean_counter", "tripod_high", "near"),
    ("tuning", 357, "lean_back_seated", "tripod_high", "near"),
    ("tuning", 358, "lean_counter", "tripod_high", "near"),
    ("tuning", 359, "lean_back_seated", "tripod_high", "near"),
    ("tuning", 360, "lean_back_seated", "tripod_high", "near"),
    ("tuning", 361, "lean_back_seated", "tripod_high", "near"),
    ("tuning", 362, "lean_counter", "tripod_high", "near"),
    ("tuning", 363, "lean_counter", "tripod_high", "near"),
    # more tuning clips of the postures and gestures whose held-out figures trail (fifteenth session)
    ("tuning", 364, "pockets", "tripod_high", "near"),
    ("tuning", 365, "pockets", "tripod_high", "near"),
    ("tuning", 366, "waveno", "tripod_high", "near"),
    ("tuning", 367, "waveno", "front", "near"),
    ("tuning", 368, "waveno_seated", "oblique", "near"),
    ("tuning", 369, "waveno_seated", "tripod_high", "near"),
    ("heldout", 452, "lean_counter", "tripod_high", "far"),
    ("heldout", 453, "lean_counter", "tripod_high", "far"),
    ("heldout", 454, "lean_back_seated", "tripod_high", "near"),
    ("heldout", 455, "lean_back_seated", "tripod_high", "far"),
    ("heldout", 456, "lean_counter", "tripod_high", "near"),
]


def check_split(rows):
    tun = [r for r in rows if r["split"] == "tuning"]
    held = [r for r in rows if r["split"] == "heldout"]
    assert not {r["seed"] for r in tun} & {r["seed"] for r in held}, "a seed is in both splits"
    assert all(r["distance"] == "near" for r in tun), "the far band is held-out only"


def scenarios():
    rows = []
    for split, seed, var, fam, dist in CLIPS:
        d, row = write_clip(SET, "avoid_set", split, seed, "avoid", var, fam, dist)
        bows = [[a["start_s"], a["end_s"]] for a in d["annotations"] if a["kind"] == "bow"]
        rows.append({"looks": [], "folded": [], "bows": bows, **row})
    check_split(rows)
    man = write_manifest(SET, "avoid_set", "tools/render/avoid_set.py", rows,
                         "held-out clips use other seeds than tuning clips, and only held-out clips have the far "
                         "distance band (camera 3.4-4.0 m from the clerk); clips are scored without a floor "
                         "calibration (phones at chest height; their .yaml is the true camera's)")
    print(f"wrote {len(rows)} scenarios and {man}")


if __name__ == "__main__":
    main(scenarios, SET)
