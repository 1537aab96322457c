"""Floor speed as the running rule reads it (DB-5.1-walk), against the truth of rendered clips.

Every track of every clip is read as the product reads a clerk's floor path (``posture/walking.py``: ``floor_path``
with the rulebook's ``measurement.walking``, then ``sustained_speed_m_s`` over the running rule's
``min_duration_s``), and each window is compared with the truth speed of the truth person the track matched in all
of the window's frames (``people.py``'s box matching, IoU >= 0.3) over the same frames (a straight-line fit to the
truth's pelvis floor points). Windows whose frames matched different truth people, or none, are counted apart.

Two sets: the people set's splits (``tuning``, ``heldout``), where nobody runs (walkers 0.8-1.8 m/s), so every
window read faster than the rule's speed is false; and the running set (``benchmarks/running_set/``, rendered after
the window and speed were chosen on the tuning split; the joining of a clerk's tracks was added on it), where a clerk
and a passer-by run (truth up to 5 m/s over 1 s). Per
clip: each truth person's fastest 1-s speed against the fastest read on the tracks matched to them, and the review's
own running violations (``analyse`` + ``grade``: the rule grades only the tracks that were a station's clerk).

    python benchmarks/walking.py --split tuning --tracks DIR   # DIR/<clip>/tracks.jsonl (people.py --keep) or
                                                               # DIR/<clip>.full.tracks.jsonl.gz (posture_views)
    python benchmarks/walking.py --split running --tracks DIR  # runs the people stage where DIR has no tracks
                                                               # (and keeps them there)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import people as pb  # noqa: E402
from etiquette_cv.geometry.calibration import load_calibration  # noqa: E402
from etiquette_cv.geometry.solver import solve_camera  # noqa: E402
from etiquette_cv.io.tracks import read_tracks  # noqa: E402
from etiquette_cv.people.config import PeopleConfig  # noqa: E402
from etiquette_cv.pipeline.analysis import analyse  # noqa: E402
from etiquette_cv.posture.walking import clerk_path_track_ids, floor_path, sustained_speed_m_s  # noqa: E402
from etiquette_cv.rules.findings import Verdict  # noqa: E402
from etiquette_cv.rules.grading import grade  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402

RUNNING_SET = Path(__file__).resolve().parent / "running_set"
RUNNING_CLIPS = ("running", "running_side")
"""People who run (truth up to 5 m/s over 1 s): rendered after the window and the speed were chosen on the people set's
tuning split; the joining of a clerk's tracks (``WalkingSettings.join_gap_s``) was added on them."""
RULE = "DB-5.1-walk"
WALKING_M_S = 0.5
"""Truth windows at least this fast count as walking in the error split."""


def _clips(which: str, names: list[str] | None) -> list[dict]:
    """The clips of a split of the people set (``tuning``, ``heldout``) or of the running set, each with the full
    paths of its video, truth and calibration."""
    if which == "running":
        found = [{"name": n, **{k: RUNNING_SET / f"{n}{ext}" for k, ext in
                                (("video", ".mp4"), ("truth", ".gt.json"), ("calibration", ".yaml"))}}
                 for n in RUNNING_CLIPS]
    else:
        manifest = json.loads((pb.SET / "manifest.json").read_text())
        rows = [c for c in manifest["clips"] if c["split"] == which]
        rows += [pb.second_renderer(c) for c in rows if (pb.SET / pb.second_renderer(c)["files"]["video"]).exists()]
        found = [{"name": c["name"], **{k: pb.SET / c["files"][k] for k in ("video", "truth", "calibration")}}
                 for c in rows]
    return [c for c in found if not names or c["name"] in names]


def _tracks(clip: dict, folder: Path | None, tmp: Path):
    """The clip's people-stage frames: from ``folder`` when it holds them, else from a run of the stage (kept in
    ``folder`` when given)."""
    if folder is not None:
        for path in (folder / clip["name"] / "tracks.jsonl", folder / f"{clip['name']}.full.tracks.jsonl.gz"):
            if path.exists():
                return read_tracks(path).frames
    work = (folder or tmp) / clip["name"]
    work.mkdir(parents=True, exist_ok=True)
    return pb.run_stage(clip["video"], load_calibration(clip["calibration"]), work, PeopleConfig())[0].frames


def _truth_people(truth: dict, frames) -> tuple[dict, dict]:
    """(frame index → {track id: truth person}) from the per-frame box matching, and (truth person → {frame index:
    floor point}) from the truth."""
    by_frame = {f.frame_index: f for f in frames}
    who: dict[int, dict[int, str]] = {}
    floor: dict[str, dict[int, np.ndarray]] = {}
    for fr in truth["frames"]:
        for pid, p in fr["persons"].items():
            if p.get("floor_xy_m") is not None:
                floor.setdefault(pid, {})[fr["index"]] = np.asarray(p["floor_xy_m"], float)
        found = by_frame.get(fr["index"])
        if found is None:
            continue
        people = [(pid, p) for pid, p in fr["persons"].items() if p.get("bbox_px") is not None]
        match = pb.match_frame([p["bbox_px"] for _, p in people], found.persons)
        who[fr["index"]] = {found.persons[j].track_id: people[i][0] for i, j in match.items()}
    return who, floor


def _slope_speed(t: np.ndarray, xy: np.ndarray) -> float:
    """Speed (m/s) of a straight-line fit to floor points ``xy`` at times ``t``."""
    return float(np.linalg.norm(np.polyfit(t - t[0], xy, 1)[0]))


def _empty() -> dict:
    return {"errors": [], "walking_errors": [], "running_errors": [], "mixed": 0, "true_fast": 0, "found_fast": 0,
            "false_fast": 0, "mixed_fast": 0, "false_tracks": [], "clerk_fastest": [], "other_fastest": [],
            "violations": [], "truth_fastest": {}, "read_fastest": {}, "path_fastest": []}


def _compare_windows(out: dict, tid: int, path, speed, until, who: dict, floor: dict, limit: float) -> bool:
    """Add track ``tid``'s windows to the clip's tallies (each against its truth person's own speed over the same
    frames); True when a window read faster than ``limit`` where its truth person was slower (or unknown)."""
    false = False
    for i in np.flatnonzero(np.isfinite(speed)):
        inside = (path.piece == path.piece[i]) & (path.t_s >= path.t_s[i]) & (path.t_s <= until[i] + 1e-9)
        frames_in = path.frame_index[inside]
        names = {who.get(int(k), {}).get(tid) for k in frames_in}
        name = names.pop() if len(names) == 1 else None
        if name is None or not all(int(k) in floor[name] for k in frames_in):
            out["mixed"] += 1
            out["mixed_fast"] += bool(speed[i] > limit)
            false |= bool(speed[i] > limit)
            continue
        true = _slope_speed(path.t_s[inside], np.array([floor[name][int(k)] for k in frames_in]))
        err = abs(float(speed[i]) - true)
        out["errors"].append(err)
        if true >= WALKING_M_S:
            out["walking_errors"].append(err)
        out["read_fastest"][name] = max(out["read_fastest"].get(name, 0.0), float(speed[i]))
        if true > limit:
            out["running_errors"].append(err)
            out["true_fast"] += 1
            out["found_fast"] += bool(speed[i] > limit)
        elif speed[i] > limit:
            out["false_fast"] += 1
            false = True
    return false


def score_clip(clip: dict, frames, rb) -> dict:
    """Per-window speed errors, fast windows found and false, and the review's running violations of one clip."""
    settings, rule = rb.walking_settings(), rb.rule(RULE)
    limit, window = float(rule.value("speed_m_s")), float(rule.value("min_duration_s"))
    truth = json.loads(clip["truth"].read_text())
    who, floor = _truth_people(truth, frames)
    cal = load_calibration(clip["calibration"])
    clerks = {tid for st in cal.clerk_stations for tid in clerk_path_track_ids(frames, st.name, settings)}
    out = _empty()
    times = {fr["index"]: fr["t_s"] for fr in truth["frames"]}
    for name, pts in floor.items():
        k = sorted(pts)
        t, xy = np.array([times[i] for i in k]), np.array([pts[i] for i in k])
        fits = [_slope_speed(t[a:b + 1], xy[a:b + 1]) for a in range(len(k))
                for b in [int(np.searchsorted(t, t[a] + window - 1e-9))] if b < len(k)]
        out["truth_fastest"][name] = max(fits, default=0.0)
    for tid in sorted({p.track_id for f in frames for p in f.persons}):
        path = floor_path(frames, [tid], settings)
        speed, until = sustained_speed_m_s(path, window)
        if not np.isfinite(speed).any():
            continue
        out["clerk_fastest" if tid in clerks else "other_fastest"].append(float(np.nanmax(speed)))
        if _compare_windows(out, tid, path, speed, until, who, floor, limit):
            out["false_tracks"].append((clip["name"], tid, tid in clerks))
    obs = analyse(frames, cal, solve_camera(cal), rb, clip["name"], frames[-1].timestamp_s if frames else 0.0)
    for co in obs.clerks:
        if co.path is not None and len(co.path):
            v = sustained_speed_m_s(co.path, window)[0]
            if np.isfinite(v).any():
                out["path_fastest"].append(float(np.nanmax(v)))
    out["violations"] = [(clip["name"], f.person, round(f.start_s, 1), round(f.end_s, 1), f.measured_value)
                         for f in grade(obs, rb).findings if f.rule_id == RULE and f.verdict == Verdict.VIOLATION]
    return out


def _stats(a: list[float]) -> str:
    if not a:
        return "none"
    v = np.asarray(a)
    return f"median {np.median(v):.2f}, p95 {np.percentile(v, 95):.2f}, max {v.max():.2f} m/s ({len(v)} windows)"


def _report(name: str, n_clips: int, total: dict, limit: float) -> None:
    print(f"\n{name}: {n_clips} clips")
    print(f"  speed |error| per window, all: {_stats(total['errors'])}")
    print(f"  speed |error| per window, truth walking (>= {WALKING_M_S} m/s): {_stats(total['walking_errors'])}")
    print(f"  speed |error| per window, truth running (> {limit:g} m/s): {_stats(total['running_errors'])}")
    print(f"  windows not compared (frames matched to different truth people, or none): {total['mixed']}")
    print(f"  windows truly faster than {limit:g} m/s read faster: {total['found_fast']} of {total['true_fast']}; "
          f"windows read faster where the truth was slower: {total['false_fast']} (and {total['mixed_fast']} not "
          f"compared); tracks with such a window: {len(total['false_tracks'])} {total['false_tracks']}")
    print(f"  clerks' tracks: {len(total['clerk_fastest'])}, fastest read {max(total['clerk_fastest'], default=0):.2f}"
          f" m/s; other tracks: {len(total['other_fastest'])}, fastest read "
          f"{max(total['other_fastest'], default=0):.2f} m/s")
    print(f"  the review's clerk paths (tracks joined): {len(total['path_fastest'])}, fastest read "
          f"{max(total['path_fastest'], default=0):.2f} m/s; the review's {RULE} violations: "
          f"{len(total['violations'])} {total['violations']}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "heldout", "running"), default="tuning",
                    help="a split of the people set, or the running set")
    ap.add_argument("--tracks", type=Path, default=None, help="folder with (or for) the clips' people-stage tracks")
    ap.add_argument("--clips", nargs="*", help="only these clip names")
    args = ap.parse_args(argv)
    rb = load_rulebook()
    rule = rb.rule(RULE)
    limit = float(rule.value("speed_m_s"))
    print(f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}; "
          f"running rule: > {limit:g} m/s over {rule.value('min_duration_s'):g} s")
    clips = _clips(args.split, args.clips)
    total = _empty()
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips:
            r = score_clip(clip, _tracks(clip, args.tracks, Path(tmp)), rb)
            for k, v in r.items():
                total[k] = {**total[k], **{f"{clip['name']}:{p}": x for p, x in v.items()}} \
                    if isinstance(v, dict) else total[k] + v
            people = ", ".join(f"{p} {r['truth_fastest'][p]:.2f}/{r['read_fastest'].get(p, float('nan')):.2f}"
                               for p in sorted(r["truth_fastest"]))
            print(f"  {clip['name']:<40} |error| {_stats(r['errors'])}; fastest 1-s speed truth/read: {people}; "
                  f"running violations {r['violations']}")
    _report(args.split, len(clips), total, limit)


if __name__ == "__main__":
    main()
