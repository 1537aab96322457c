"""The main job as a library call: video (or tracks) + calibration + rulebook → findings, report, evidence.

pose tracks → geometry (calibration) → features (clerk posture, customer distances) → events (sit/stand, bends,
approaches) → rules (grading) → reports. The CLI's ``etiquette review`` is a thin layer over :func:`review`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .annotators import (VideoSink, add_inset, blur_faces, caption_box, draw_floor_polyline, draw_person, put_label)
from .calibration import Calibration, CameraModel, load_calibration, solve_camera
from .events import BowSettings, StanceSettings, approaches, detect_bends, stance_states
from .features import PostureSettings, facing_from_counter, measure_clerk, measure_customers
from .findings import ReviewResult, Verdict
from .geometry import distance_to_polyline_m, offset_polyline_m, person_floor_position, regions_from_zones
from .pipeline import run_pose
from .pose import PoseConfig
from .report import write_findings_csv, write_findings_json, write_report_html
from .rulebook_io import Rulebook, load_rulebook
from .rules import Observations, grade
from .tracks import Tracks, read_tracks
from .types import FramePoses
from .video import VideoSource


SEEK_ABOVE_S = 300.0
"""Videos longer than this get their evidence frames by seeking rather than by one forward pass."""


@dataclass
class ReviewOutputs:
    """Where a review wrote its results."""

    out_dir: Path
    findings_json: Path
    findings_csv: Path
    report_html: Path
    tracks: Path | None
    annotated_video: Path | None
    keyframes: list[Path]


def near_distance_m(rb: Rulebook) -> float:
    """The customer distance that triggers 站接 (the stand_greet rule's distance, 2 m in the standard)."""
    rules = rb.of_kind("stand_greet")
    return float(rules[0].value("distance_m")) if rules else 2.0


def stance_settings(rb: Rulebook) -> StanceSettings:
    """The sit/stand state machine's settings from the rulebook."""
    return StanceSettings(stand_above_m=rb.measure("stance", "stand_above_m"),
                          sit_below_m=rb.measure("stance", "sit_below_m"),
                          head_above_shoulders_m=rb.measure("stance", "head_above_shoulders_m"),
                          min_state_s=rb.measure("stance", "min_state_s"))


def analyse(frames: list[FramePoses], cal: Calibration, camera: CameraModel, rb: Rulebook, source: str,
            duration_s: float, problem: str | None = None) -> Observations:
    """Features and events of one video's pose frames (from a tracks file or a live run)."""
    station = cal.clerk_stations[0].floor_m
    facing = facing_from_counter(station, cal.counter.edge_m, cal.counter.customer_side)
    st = stance_settings(rb)
    changes = []

    def stance_of(t, h, hd):  # the state machine runs once; its transitions are kept for the rules
        states, found = stance_states(t, h, hd, st)
        changes[:] = found
        return states

    clerk = measure_clerk(frames, camera, station, facing, stance_of, PostureSettings(), cal.counter.edge_m,
                          cal.counter.height_m)
    bends = detect_bends(clerk.t_s, clerk.flexion_deg, clerk.stance == "stand", clerk.wrist_asymmetry_m,
                         BowSettings(rb.bow("start_deg"), rb.bow("end_deg"), rb.bow("min_duration_s"),
                                     rb.bow("max_duration_s"), rb.bow("reach_wrist_asymmetry_m")))
    customers = measure_customers(
        frames, camera, cal.counter, person_floor_position,
        lambda xy, counter: float(distance_to_polyline_m(xy, counter.edge_m, counter.customer_side)))
    near = near_distance_m(rb)
    appr = []
    for cs in customers:
        appr += approaches(cs.track_id, cs.t_s, cs.distance_m, near, rb.measure("customer", "hysteresis_m"),
                           rb.measure("customer", "min_inside_s"), rb.measure("customer", "max_gap_s"))
    h = frames[0].image_height if frames else cal.image_height
    w = frames[0].image_width if frames else cal.image_width
    return Observations(source=source, duration_s=duration_s, analysed_frames=len(frames), image_width=w,
                        image_height=h, clerk=clerk, stance_changes=changes, bends=bends, customers=customers,
                        approaches=appr, problem=problem)


def draw_review_frame(image: np.ndarray, poses: FramePoses | None, camera: CameraModel, cal: Calibration,
                      near_m: float, clerk_angle_deg: float | None, captions: list[str], blur: bool,
                      focus: str | None = None) -> np.ndarray:
    """A copy of a frame with the counter edge, the near (2 m) line, skeletons, the clerk's trunk angle, each
    customer's distance to the counter, and caption lines; customers' faces blurred unless ``blur`` is False.
    ``focus`` (a region name) adds an enlarged inset of that person."""
    out = image.copy()
    persons = poses.persons if poses is not None else []
    if blur:
        blur_faces(out, persons)
    draw_floor_polyline(out, camera, cal.counter.edge_m, (0, 200, 255), 2)
    draw_floor_polyline(out, camera, offset_polyline_m(cal.counter.edge_m, near_m, cal.counter.customer_side),
                        (0, 0, 255), 2)
    for p in persons:
        draw_person(out, p)
        x0, y0, _, _ = p.bbox_px()
        if p.region == "clerk":
            text = "clerk"
            if clerk_angle_deg is not None and np.isfinite(clerk_angle_deg):
                text += f"  trunk {clerk_angle_deg:.0f} deg"
        else:
            text = f"customer#{p.track_id}"
            pos = person_floor_position(p, camera)
            if pos is not None:
                d = float(distance_to_polyline_m(pos.xy_m, cal.counter.edge_m, cal.counter.customer_side))
                text += f"  {d:.2f} m"
        put_label(out, text, (int(max(4, x0)), int(max(16, y0 - 8))), (255, 255, 255), 0.6)
    caption_box(out, captions)
    target = next((p for p in persons if p.region == focus), None) if focus else None
    if target is not None:
        add_inset(out, target.bbox_px())
    return out


def _finding_caption(f) -> list[str]:
    value = "" if f.measured_value is None else f"  measured {f.measured_value:g} {f.measured_unit}".rstrip()
    return [f"{f.rule_id}: {f.title_en}", f"{f.verdict.value.upper()}{value}",
            f"t = {f.evidence_t_s:.1f} s  frame {f.evidence_frame_index}"]


def write_keyframes(video: str | Path, result: ReviewResult, tracks: Tracks, camera: CameraModel,
                    cal: Calibration, near_m: float, out_dir: Path, blur: bool = True) -> list[Path]:
    """Write one annotated evidence JPEG per finding that has an evidence time, and set its ``evidence_image``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    by_index = {f.frame_index: f for f in tracks.frames}
    series = next((s for s in result.series if s.name == "trunk_flexion_deg"), None)
    wanted = sorted({f.evidence_frame_index for f in result.findings if f.evidence_frame_index is not None})
    images: dict[int, np.ndarray] = {}
    if wanted:
        info = VideoSource(video, analysis_fps=None).info
        if info.duration_s is not None and info.duration_s > SEEK_ABOVE_S:
            # A long recording: seek to each evidence frame (by its time) instead of decoding everything.
            for idx in wanted:
                t = by_index[idx].timestamp_s if idx in by_index else None
                if t is None:
                    continue
                best = None
                for frame in VideoSource(video, analysis_fps=None, start_s=max(0.0, t - 0.5), end_s=t + 0.5):
                    if best is None or abs(frame.timestamp_s - t) < abs(best.timestamp_s - t):
                        best = frame
                if best is not None:
                    images[idx] = best.image
        else:
            # A short clip: one forward pass keeping only the wanted frames.
            want = set(wanted)
            for frame in VideoSource(video, analysis_fps=None):
                if frame.index in want:
                    images[frame.index] = frame.image
                    if len(images) == len(want):
                        break
    written = []
    for n, f in enumerate(result.findings):
        if f.evidence_frame_index is None or f.evidence_frame_index not in images:
            continue
        angle = None
        if series is not None and len(series.t_s):
            k = int(np.argmin(np.abs(series.t_s - (f.evidence_t_s or 0.0))))
            angle = float(series.values[k])
        focus = "clerk" if f.person == "clerk" else "customer"
        img = draw_review_frame(images[f.evidence_frame_index], by_index.get(f.evidence_frame_index), camera, cal,
                                near_m, angle, _finding_caption(f), blur, focus)
        path = out_dir / f"finding_{n + 1:03d}_{f.rule_id}.jpg"
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        f.evidence_image = str(path)
        written.append(path)
    return written


def write_annotated_video(video: str | Path, path: Path, result: ReviewResult, tracks: Tracks, camera: CameraModel,
                          cal: Calibration, near_m: float, fps: float, blur: bool = True) -> Path:
    """The analysed frames with skeletons, live trunk angle and distances, and findings captioned as they happen."""
    by_index = {f.frame_index: f for f in tracks.frames}
    series = next((s for s in result.series if s.name == "trunk_flexion_deg"), None)
    flex = dict(zip(series.t_s.tolist(), series.values.tolist())) if series is not None else {}
    sink = None
    try:
        for frame in VideoSource(video, analysis_fps=fps):
            poses = by_index.get(frame.index)
            t = frame.timestamp_s
            active = [f for f in result.findings if f.start_s - 0.2 <= t <= max(f.end_s, f.start_s + 2.0)
                      and f.verdict not in (Verdict.NOT_APPLICABLE,)]
            captions = [f"t = {t:6.1f} s"] + [f"{f.title_en}: {f.verdict.value}" for f in active[:4]]
            img = draw_review_frame(frame.image, poses, camera, cal, near_m, flex.get(poses.timestamp_s) if poses
                                    else None, captions, blur)
            if sink is None:
                sink = VideoSink(path, fps, img.shape[1], img.shape[0])
            sink.write(img)
    finally:
        if sink is not None:
            sink.close()
    return path


def review(video: str | Path | None, calibration: str | Path, out_dir: str | Path, *,
           tracks_path: str | Path | None = None, rulebook: str | Path | None = None, lang: str = "zh",
           fps: float = 10.0, model: str = "full", annotate: str | Path | None = None, blur: bool = True,
           on_frame: Callable[[FramePoses], None] | None = None) -> tuple[ReviewResult, ReviewOutputs]:
    """Review a video (pose → analysis → grading → reports). With ``tracks_path`` and no ``video``, re-grade an
    existing tracks file without decoding anything (no keyframes then)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rb = load_rulebook(rulebook)
    cal = load_calibration(calibration)
    camera = solve_camera(cal)
    problem = None
    if tracks_path is None:
        if video is None:
            raise ValueError("review needs a video or a tracks file")
        source = VideoSource(video, analysis_fps=fps)
        if (source.info.width, source.info.height) != (cal.image_width, cal.image_height):
            raise ValueError(f"{calibration}: calibrated for {cal.image_width}x{cal.image_height} images but "
                             f"{video} is {source.info.width}x{source.info.height}")
        tracks_path = out / "tracks.jsonl.gz"
        summary = run_pose(source, regions_from_zones(cal, camera), tracks_path, PoseConfig(model=model),
                           on_frame=on_frame)
        problem = summary.problem
    tracks = read_tracks(tracks_path)
    if problem is None and tracks.footer is not None and not tracks.footer.complete:
        problem = tracks.footer.problem or "the pose run that wrote the tracks did not finish"
    elif problem is None and tracks.footer is None:
        problem = "the tracks file has no closing line: the pose run was interrupted"
    frames = tracks.frames
    duration = frames[-1].timestamp_s - frames[0].timestamp_s if len(frames) > 1 else 0.0
    obs = analyse(frames, cal, camera, rb, str(video or tracks.header.source), duration, problem)
    result = grade(obs, rb)
    near = near_distance_m(rb)
    keyframes: list[Path] = []
    if video is not None:
        keyframes = write_keyframes(video, result, tracks, camera, cal, near, out / "keyframes", blur)
    annotated = None
    if annotate is not None and video is not None:
        annotated = write_annotated_video(video, Path(annotate), result, tracks, camera, cal, near, fps, blur)
    bands = [(c.name_zh, c.min_deg, c.max_deg) for c in rb.bow_classes]
    outputs = ReviewOutputs(
        out_dir=out,
        findings_json=write_findings_json(result, out / "findings.json", base_dir=Path.cwd()),
        findings_csv=write_findings_csv(result, out / "findings.csv", base_dir=Path.cwd()),
        report_html=write_report_html(result, out / "report.html", lang=lang, bow_bands=bands, base_dir=Path.cwd()),
        tracks=Path(tracks_path), annotated_video=annotated, keyframes=keyframes,
    )
    return result, outputs
