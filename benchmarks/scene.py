"""Scene checks and service times on the rendered scene set (`benchmarks/scene_set/`, tuning and held-out apart).

    python benchmarks/scene.py [--split tuning|heldout|all] [--out out/scene_bench] [--verbose]

Per clip: the product's people stage (cached in --out), then the scene checks and the service times exactly as
`etiquette review` runs them, compared with the render's truth (sidecar NAME.gt.json):

* clutter / debris: a truth object is a `clutter_appears` event on the counter top / the floor that stays at least
  the rule's minimum dwell (a document handed over for 3 s is a negative); a reported object matches a truth object
  when its box overlaps the truth's pixel box (IoU ≥ 0.1, or its centre inside the truth box grown by 8 px);
  precision, recall, the appearance-time error of matched objects, and for flat objects (paper) the reported area
  against the true one;
* lighting: a dim clip (a lamp out) must get a lighting violation, the others none;
* waiting: per customer, truth = first to last frame inside the waiting zone up to their arrival within 2 m of the
  counter (frames in the zone on the way out are not waiting); the visit whose track is nearest the
  truth customer at the 2 m crossing gives the measured wait; handling = time within 2 m of the counter, scored
  for every customer who left the 2 m zone before the clip ends (a customer the product gives no handling time, or
  no visit, counts as a miss; so does a handling time for a customer still within 2 m at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.geometry.calibration import load_calibration  # noqa: E402
from etiquette_cv.geometry.solver import solve_camera  # noqa: E402
from etiquette_cv.io.tracks import read_tracks  # noqa: E402
from etiquette_cv.io.video import VideoSource  # noqa: E402
from etiquette_cv.people.stage import PeopleConfig  # noqa: E402
from etiquette_cv.pipeline import analyse, run_people  # noqa: E402
from etiquette_cv.rules.findings import Verdict  # noqa: E402
from etiquette_cv.rules.grading import grade  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402
from etiquette_cv.scene import run_scene_checks  # noqa: E402
from etiquette_cv.people.boxes import iou  # noqa: E402
from etiquette_cv.service_times import apply_service_times  # noqa: E402

SET = REPO / "benchmarks" / "scene_set"
FLAT_M = 0.01
"""A truth object this thin (metres) lies flat: its footprint (the axis-aligned box of it on its plane) is its true
area, against which the reported cm² are compared (a cup's or a box's image blob also holds its sides)."""


def matches(box: np.ndarray, truth: list[float]) -> bool:
    t = np.asarray(truth, float)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    inside = t[0] - 8 <= cx <= t[2] + 8 and t[1] - 8 <= cy <= t[3] + 8
    return iou(box, t) >= 0.1 or inside


def truth_waits(gt: dict) -> dict[str, tuple[float | None, float | None, float | None]]:
    """customer id → (wait s, arrival within 2 m s, handling s) from the sidecar's frames; handling is None for a
    customer still within 2 m when the clip ends (their visit has no end to measure)."""
    out = {}
    for pid in [p["id"] for p in gt["persons"]]:
        if not pid.startswith("customer"):
            continue
        rows = [(f["t_s"], f["persons"][pid]) for f in gt["frames"] if pid in f["persons"]]
        inz = [t for t, r in rows if r["in_waiting_zone"]]
        near = [t for t, r in rows if r["distance_to_counter_m"] < 2.0 and r["in_room"]]
        arrive = near[0] if near else None
        # waiting ends when the customer is called to the counter (DB 表2: ticket to call): frames in the zone
        # after they reached the counter (leaving through the waiting area) are not waiting
        inz = [t for t in inz if arrive is None or t <= arrive]
        wait = (inz[-1] - inz[0]) if inz else 0.0
        end = gt["frames"][-1]["t_s"]
        left = bool(near) and near[-1] < end - 0.15
        out[pid] = (wait, arrive, (near[-1] - near[0]) if left else None)
    return out


def run_clip(name: str, rb, out: Path, verbose: bool) -> dict:
    cal = load_calibration(SET / f"{name}.yaml")
    camera = solve_camera(cal)
    video = SET / f"{name}.mp4"
    tracks_path = out / f"{name}.tracks.jsonl.gz"
    if not tracks_path.exists():
        run_people(VideoSource(video, analysis_fps=10.0), tracks_path, cal, PeopleConfig(model="full"))
    frames = read_tracks(tracks_path).frames
    duration = frames[-1].timestamp_s - frames[0].timestamp_s
    t0 = time.perf_counter()
    result = grade(analyse(frames, cal, camera, rb, name, duration), rb)
    scene = run_scene_checks(video, frames, cal, camera, rb, None)
    result.findings += scene.findings
    apply_service_times(result, frames, cal, rb, rb.near_m, None)
    cost = time.perf_counter() - t0
    gt = json.load(open(SET / f"{name}.gt.json"))
    row = {"name": name, "cost_s": cost, "video_s": duration}
    for kind, region, rid in (("clutter", "counter_top", "CC-2.10-counter-clutter"), ("debris", "floor",
                                                                                        "DB-4-floor-debris")):
        dwell = float(rb.rule(rid).value("min_dwell_s"))
        ev = [e for e in gt["events"] if e["type"] == "clutter_appears" and e["region"] == region]
        pos = [e for e in ev if (e["disappear_s"] or gt["duration_s"]) - e["t_s"] >= dwell]
        neg = [e for e in ev if e not in pos]
        found = [o for o in scene.objects if o.region == ("counter_top" if region == "counter_top" else "floor_check")]
        hit_truth, good, errs, sizes = set(), 0, [], []
        for o in found:
            k = next((i for i, e in enumerate(pos) if i not in hit_truth and matches(o.box_xyxy_px, e["bbox_px"])), None)
            if k is not None:
                hit_truth.add(k)
                good += 1
                errs.append(abs(o.first_s - pos[k]["t_s"]))
                lo, hi = np.asarray(pos[k]["box_min_m"]), np.asarray(pos[k]["box_max_m"])
                if hi[2] - lo[2] <= FLAT_M:
                    sizes.append(o.area_cm2 / (1e4 * (hi[0] - lo[0]) * (hi[1] - lo[1])))
            elif verbose:
                print(f"  {name}: false {kind} at {o.box_xyxy_px.round().tolist()} {o.first_s:.1f}-{o.last_s:.1f} s "
                      f"{o.area_cm2:.0f} cm²" + (" (a handed-over document)" if any(
                          matches(o.box_xyxy_px, e["bbox_px"]) and o.first_s <= (e["disappear_s"] or np.inf)
                          and e["t_s"] <= o.last_s for e in neg) else ""))
        if verbose:
            for i, e in enumerate(pos):
                if i not in hit_truth:
                    print(f"  {name}: missed {kind} {e['object']} at {np.round(e['bbox_px']).tolist()} {e['t_s']:.1f} s")
        row[kind] = {"truth": len(pos), "found": len(found), "right": good, "recall_hits": len(hit_truth),
                     "appear_err_s": errs, "flat_size_ratio": sizes}
    dim = any(r["dim"] for r in json.load(open(SET / "manifest.json")) if r["name"] == name)
    light = [f for f in result.findings if f.rule_id == "DB-4-lighting"]
    row["light_right"] = (any(f.verdict == Verdict.VIOLATION for f in light) == dim) if light else False
    truth = truth_waits(gt)
    errs_w, errs_h = [], []
    for pid, (wait, arrive, handling) in truth.items():
        if arrive is None:
            continue
        f = min(gt["frames"], key=lambda fr: abs(fr["t_s"] - arrive))
        xy = np.asarray(f["persons"][pid]["floor_xy_m"])
        best = None
        for v in result.visits:
            if v.arrive_s is None or abs(v.arrive_s - arrive) > 2.0:
                continue
            tid = int(v.customer.split("#")[1])
            # the visit's track where it was nearest in time to its arrival (within 0.5 s: an arrival taken across
            # an id change lies in the gap before the visit's own track begins)
            pts = sorted((abs(fr.timestamp_s - v.arrive_s), tuple(p.floor_xy_m)) for fr in frames
                         if abs(fr.timestamp_s - v.arrive_s) < 0.5
                         for p in fr.persons if p.track_id == tid and p.floor_xy_m is not None)
            d = float(np.linalg.norm(np.asarray(pts[0][1]) - xy)) if pts else 9.0
            if best is None or d < best[0]:
                best = (d, v)
        if best is None or best[0] > 1.0:
            errs_w.append(float("inf"))
            if handling is not None:
                errs_h.append(float("inf"))
            if verbose:
                print(f"  {name}: {pid} (wait {wait:.1f} s) has no visit")
            continue
        v = best[1]
        errs_w.append(abs((v.wait_s or 0.0) - wait))
        if handling is not None or v.handling_s is not None:
            # a customer who left with no handling time, or one still at the counter with one, is a miss
            errs_h.append(abs(v.handling_s - handling) if handling is not None and v.handling_s is not None
                          else float("inf"))
        if verbose:
            print(f"  {name}: {pid} wait truth {wait:.1f} s measured {v.wait_s or 0:.1f} s; handling truth "
                  f"{'(still within 2 m at the end)' if handling is None else f'{handling:.1f} s'} measured "
                  f"{'none' if v.handling_s is None else f'{v.handling_s:.1f} s'}")
    row["wait_err_s"], row["handling_err_s"] = errs_w, errs_h
    return row


def summary(rows: list[dict], label: str) -> None:
    print(f"\n{label}: {len(rows)} clips")
    for kind in ("clutter", "debris"):
        truth = sum(r[kind]["truth"] for r in rows)
        found = sum(r[kind]["found"] for r in rows)
        right = sum(r[kind]["right"] for r in rows)
        errs = [e for r in rows for e in r[kind]["appear_err_s"]]
        p = right / found if found else float("nan")
        rc = right / truth if truth else float("nan")
        print(f"  {kind:8s} precision {p:.2f} ({right}/{found})  recall {rc:.2f} ({right}/{truth})  appearance "
              f"error median {np.median(errs) if errs else float('nan'):.2f} s, max {max(errs) if errs else float('nan'):.2f} s")
        ratios = [x for r in rows for x in r[kind]["flat_size_ratio"]]
        if ratios:
            print(f"  {'':8s} flat objects found (paper): area measured / true {np.median(ratios):.2f} median, "
                  f"{min(ratios):.2f}-{max(ratios):.2f} ({len(ratios)} objects)")
    print(f"  lighting verdict right on {sum(r['light_right'] for r in rows)} of {len(rows)} clips")
    w = [e for r in rows for e in r["wait_err_s"]]
    h = [e for r in rows for e in r["handling_err_s"]]
    fin = [e for e in w if np.isfinite(e)]
    print(f"  waiting time per customer: {len(fin)} of {len(w)} customers matched to a visit; |error| median "
          f"{np.median(fin) if fin else float('nan'):.2f} s, max {max(fin) if fin else float('nan'):.2f} s, "
          f"within 2 s: {sum(e <= 2.0 for e in fin)} of {len(w)}")
    hf = [e for e in h if np.isfinite(e)]
    print(f"  handling time per customer who left within the clip (or was given one): {len(hf)} of {len(h)} "
          f"measured; |error| median {np.median(hf) if hf else float('nan'):.2f} s, max "
          f"{max(hf) if hf else float('nan'):.2f} s, within 2 s: {sum(e <= 2.0 for e in hf)} of {len(h)}")
    cost = sum(r["cost_s"] for r in rows) / max(1e-9, sum(r["video_s"] for r in rows))
    print(f"  scene checks + service times (after the people stage): {cost:.3f} s per second of video")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="all", choices=("tuning", "heldout", "all"))
    ap.add_argument("--out", default=str(REPO / "out" / "scene_bench"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--rulebook", default=None, help="a rulebook YAML other than the shipped one")
    ap.add_argument("names", nargs="*", help="only these clips")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rb = load_rulebook(a.rulebook)
    manifest = json.load(open(SET / "manifest.json"))
    print(f"machine: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
          f"Python {platform.python_version()}")
    for split in ("tuning", "heldout"):
        if a.split not in (split, "all"):
            continue
        rows = []
        for r in manifest:
            done = (SET / f"{r['name']}.gt.json").exists()   # the sidecar is written after the video
            if r["split"] == split and done and (not a.names or r["name"] in a.names):
                rows.append(run_clip(r["name"], rb, out, a.verbose))
        summary(rows, split)


if __name__ == "__main__":
    main()
