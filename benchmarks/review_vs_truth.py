"""The review's findings against the rendered clips' ground truth, as a table: every 站接/站送 verdict, every bow,
every violation interval.

    python benchmarks/review_vs_truth.py [--cache DIR] [CLIP ...]     (default: every clip with a calibration)

Each clip in sample_videos/ goes through the whole review (MediaPipe pose, analysis, grading). The expected
verdicts are derived from the sidecar's events with the rulebook's own numbers: 站接 is met when the clerk is up
within the allowance after the customer crosses 2 m, late otherwise; 站送 is met when the clerk stands within the
send-off window; bows are classed by the standard's angles (below 22.5° greeting, below 37.5° thanks, else apology).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.geometry.calibration import load_calibration  # noqa: E402
from etiquette_cv.rules.findings import Verdict  # noqa: E402
from etiquette_cv.people.rate import RateSettings  # noqa: E402
from etiquette_cv.people.stage import PeopleConfig  # noqa: E402
from etiquette_cv.pipeline import run_people  # noqa: E402
from etiquette_cv.pipeline.review_run import review  # noqa: E402
from etiquette_cv.rules.rulebook import load_rulebook  # noqa: E402
from etiquette_cv.io.video import VideoSource  # noqa: E402

VIOLATION_RULES = {"stoop": "CC-1.6-stoop", "lean_on_counter": "CC-1.6-lean-on-counter", "sway": "DB-6.2-sway",
                   "hands_in_pockets": "DB-6.2-pockets", "lean_back": "DB-6.2-lean-back",
                   "lie_on_desk": "CC-1.7-lie-on-desk", "crossed_legs": "CC-1.7-crossed-legs"}


def bow_class(angle_deg: float) -> str:
    """The standard's class of a true bow angle."""
    return "greeting" if angle_deg < 22.5 else "thanks" if angle_deg < 37.5 else "apology"


def expected_reception(events: list[dict], rb) -> list[tuple[str, float, str]]:
    """(rule, time, expected verdict) for each 2 m crossing in and out in the sidecar."""
    greet = rb.of_kind("stand_greet")[0]
    send = rb.of_kind("stand_send_off")[0]
    allowance = float(greet.value("allowance_s"))
    # the point of the stand-up the rulebook names (onset = the sidecar's start, midpoint = t_s, complete = end)
    key = {"onset": "start_s", "midpoint": "t_s", "complete": "end_s"}[str(greet.value("stand_point"))]
    ups = [e.get(key, e["t_s"]) for e in events if e["type"] == "stand_up"]
    downs = [e["t_s"] for e in events if e["type"] == "sit_down"]
    out = []
    for e in events:
        if e["type"] != "cross_2m":
            continue
        t = e["t_s"]
        if e["direction"] == "in":
            later = [u for u in ups if u >= t - float(greet.value("early_s"))]
            if not later:
                out.append(("站接 " + greet.id, t, "missed"))
            else:
                out.append(("站接 " + greet.id, t, "met" if later[0] - t <= allowance else "late"))
        else:
            t0, t1 = t - float(send.value("before_s")), t + float(send.value("after_s"))
            standing = any(u <= t1 and not any(u < d < t0 for d in downs) for u in ups)
            out.append(("站送 " + send.id, t, "met" if standing else "missed"))
    return out


def people_config(args: argparse.Namespace) -> PeopleConfig:
    """The people stage's settings for this run (model, adaptive rate)."""
    if args.quiet_every is None:
        return PeopleConfig(model=args.model)
    return PeopleConfig(model=args.model, rate=RateSettings(quiet_every_n=args.quiet_every))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*")
    ap.add_argument("--cache", default=None, help="folder keeping pose tracks between runs")
    ap.add_argument("--model", default="full", help="pose model: full (default), lite, heavy")
    ap.add_argument("--quiet-every", type=int, default=None,
                    help="adaptive rate: analyse one sampled frame in N while quiet (1 = every frame; default: "
                         "the people stage's default)")
    ap.add_argument("--refine", default=None, help="second pass over the clerk's standing intervals with this "
                    "model (e.g. heavy)")
    args = ap.parse_args()
    import os
    import platform
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; these sample "
          "clips are the tuning set of issue 12 (held-out: benchmarks/posture_views.py)")
    cache = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="etiquette-rvt-"))
    cache.mkdir(parents=True, exist_ok=True)
    rb = load_rulebook()
    clips = args.clips or sorted(p.stem for p in (REPO / "calibration").glob("*.yaml"))
    totals = {"ok": 0, "all": 0, "not_assessable": 0}
    for name in clips:
        video, cal_path = REPO / "sample_videos" / f"{name}.mp4", REPO / "calibration" / f"{name}.yaml"
        gt_path = REPO / "sample_videos" / f"{name}.gt.json"
        if not (video.exists() and gt_path.exists()):
            continue
        tracks = cache / f"{name}.{args.model}.tracks.jsonl.gz"
        if not tracks.exists():
            cal = load_calibration(cal_path)
            run_people(VideoSource(video, analysis_fps=10.0), tracks, cal, people_config(args))
        result, outputs = review(video if args.refine else None, cal_path, cache / f"{name}.{args.model}",
                                 tracks_path=tracks, refine=args.refine)
        if outputs.refine is not None:
            r = outputs.refine
            print(f"second pass ({args.refine}): {len(r.intervals)} intervals, {r.frames} frames re-measured "
                  f"({r.replaced} replaced), {r.wall_s:.1f} s wall, {r.landmarker_s:.1f} s in the landmarker")
        events = json.loads(gt_path.read_text())["events"]
        print(f"\n== {name} ==")
        print(f"{'what':<34} {'truth':<28} {'found':<40} ok")

        def row(what: str, truth: str, found: str, ok: bool) -> None:
            totals["all"] += 1
            totals["ok"] += int(ok)
            print(f"{what:<34} {truth:<28} {found:<40} {'yes' if ok else 'NO'}")

        for rule, t, verdict in expected_reception(events, rb):
            rid = rule.split()[1]
            near = [f for f in result.findings if f.rule_id == rid and abs(f.start_s - t) < 3.0
                    or (f.rule_id == rid and f.visit_id is not None and abs(f.end_s - t) < 8.0 and rid.endswith("off"))]
            got = near[0] if near else None
            found = "none" if got is None else f"{got.verdict.value}" + (
                f" {got.measured_value:g} {got.measured_unit}" if got.measured_value is not None else "")
            row(rule, f"{verdict} @ {t:.2f} s", found, got is not None and got.verdict.value == verdict)
        bows = [f for f in result.findings if f.rule_id == "DB-6.2-bow"]
        for e in events:
            if e["type"] != "bow_peak":
                continue
            cls = bow_class(e["angle_deg"])
            near = [f for f in bows if e["start_s"] - 0.5 <= (f.evidence_t_s or f.start_s) <= e["end_s"] + 0.5]
            if near:
                f = max(near, key=lambda x: x.measured_value or 0.0)
                got_cls = rb.classify_bow(f.measured_value)
                found = f"{f.measured_value:.1f}° {got_cls.name if got_cls else 'no class'}"
                ok = got_cls is not None and got_cls.name == cls
            else:
                found, ok = "no bow", False
            row("bow", f"{e['angle_deg']:.0f}° {cls} @ {e['t_s']:.1f} s", found, ok)
        for e in events:
            if e["type"] == "reach_peak":
                near = [f for f in bows if e["start_s"] <= (f.evidence_t_s or f.start_s) <= e["end_s"]]
                row("reach (not a bow)", f"@ {e['t_s']:.1f} s", "taken for a bow" if near else "not a bow", not near)
        viol = [f for f in result.findings if f.verdict == Verdict.VIOLATION and f.rule_id in VIOLATION_RULES.values()]
        matched = set()
        for e in events:
            if e["type"] != "violation":
                continue
            kind = e.get("violation") or e.get("violation_type") or e.get("kind")
            rid = VIOLATION_RULES.get(kind)
            if rid is None:
                continue
            t0, t1 = e.get("start_s", e.get("t_s")), e["end_s"]
            if rid in result.coverage.not_assessable_rules:
                totals["not_assessable"] += 1
                print(f"{'violation ' + kind:<34} {f'{t0:.1f}–{t1:.1f} s':<28} "
                      f"{'not assessable: ' + result.coverage.not_assessable_rules[rid][:24]:<40} n/a")
                continue
            hit = [f for f in viol if f.rule_id == rid and f.start_s < t1 and t0 < f.end_s]
            matched.update(id(f) for f in hit)
            found = ", ".join(f"{f.start_s:.1f}–{f.end_s:.1f} s" for f in hit) or "none"
            row(f"violation {kind}", f"{t0:.1f}–{t1:.1f} s", found, bool(hit))
        for f in viol:
            if id(f) not in matched:
                row(f"violation {f.rule_id}", "none", f"{f.start_s:.1f}–{f.end_s:.1f} s (false)", False)
    print(f"\n{totals['ok']} of {totals['all']} rows as the ground truth says; {totals['not_assessable']} reported "
          "not assessable (counted neither way)")


if __name__ == "__main__":
    main()
