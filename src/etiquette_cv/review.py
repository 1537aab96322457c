"""The main job as a library call: video (or tracks) + calibration + rulebook → findings, report, evidence.

pose tracks → geometry (calibration) → features (clerk posture, customer distances) → events (sit/stand, bends,
approaches) → rules (grading) → reports. The CLI's ``etiquette review`` is a thin layer over :func:`review`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .annotators import (VideoSink, add_inset, blur_faces, caption_box, draw_floor_polyline, draw_person, put_label)
from .calibration import Calibration, CameraModel, load_calibration, solve_camera
from .events import BowSettings, StanceSettings, approaches, detect_bends, stance_states
from .features import PostureSettings, facing_from_counter, measure_clerk, measure_customers
from .findings import ReviewResult, Verdict
from .geometry import distance_to_polyline_m, offset_polyline_m, person_floor_position
from .people.stage import PeopleConfig
from .pipeline import run_people
from .report import write_findings_csv, write_findings_json, write_report_html
from .rulebook_io import Rulebook, load_rulebook
from .rules import ClerkObservations, Observations, grade, trunk_series_name
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


def clerk_person_name(cal: Calibration, station: str) -> str:
    """How findings name the clerk of ``station``: ``clerk`` when the counter has one station."""
    return "clerk" if len(cal.clerk_stations) == 1 else f"clerk@{station}"


def _station_of(cs, approach, cal: Calibration) -> str | None:
    """The station a customer came to: the one nearest to where they stood when closest to the counter."""
    if not cal.clerk_stations:
        return None
    w = (cs.t_s >= approach.first_inside_s) & (cs.t_s <= approach.last_inside_s) & np.isfinite(cs.distance_m)
    if not w.any():
        return cal.clerk_stations[0].name
    k = np.flatnonzero(w)[int(np.argmin(cs.distance_m[w]))]
    xy = cs.floor_xy_m[k]
    return min(cal.clerk_stations, key=lambda st: float(np.linalg.norm(st.floor_m - xy))).name


def analyse(frames: list[FramePoses], cal: Calibration, camera: CameraModel, rb: Rulebook, source: str,
            duration_s: float, problem: str | None = None) -> Observations:
    """Features and events of one video's pose frames (from a tracks file or a live run): each station's clerk,
    every customer's distance to the counter and approaches within 2 m."""
    st = stance_settings(rb)
    bow = BowSettings(rb.bow("start_deg"), rb.bow("end_deg"), rb.bow("min_duration_s"), rb.bow("max_duration_s"),
                      rb.bow("reach_wrist_asymmetry_m"))
    clerks = []
    for station in cal.clerk_stations:
        facing = facing_from_counter(station.floor_m, cal.counter.edge_m, cal.counter.customer_side)
        changes = []

        def stance_of(t, h, hd):  # the state machine runs once; its transitions are kept for the rules
            states, found = stance_states(t, h, hd, st)
            changes[:] = found
            return states

        series = measure_clerk(frames, camera, station.floor_m, facing, stance_of, PostureSettings(),
                               cal.counter.edge_m, cal.counter.height_m, station=station.name)
        bends = detect_bends(series.t_s, series.flexion_deg, series.stance == "stand", series.wrist_asymmetry_m, bow)
        clerks.append(ClerkObservations(station.name, clerk_person_name(cal, station.name), series, changes, bends))
    customers = measure_customers(
        frames, camera, cal.counter, person_floor_position,
        lambda xy, counter: float(distance_to_polyline_m(xy, counter.edge_m, counter.customer_side)))
    near = near_distance_m(rb)
    appr = []
    for cs in customers:
        for a in approaches(cs.track_id, cs.t_s, cs.distance_m, near, rb.measure("customer", "hysteresis_m"),
                            rb.measure("customer", "min_inside_s"), rb.measure("customer", "max_gap_s")):
            appr.append(replace(a, station=_station_of(cs, a, cal)))
    h = frames[0].image_height if frames else cal.image_height
    w = frames[0].image_width if frames else cal.image_width
    return Observations(source=source, duration_s=duration_s, analysed_frames=len(frames), image_width=w,
                        image_height=h, clerks=clerks, customers=customers, approaches=appr, problem=problem)


def person_name(p, cal: Calibration | None) -> str:
    """How findings name a tracked person: their clerk name (:func:`clerk_person_name`) or ``role#id``."""
    if p.role == "clerk" and p.station is not None and cal is not None:
        return clerk_person_name(cal, p.station)
    return f"{p.role}#{p.track_id}"


def draw_review_frame(image: np.ndarray, poses: FramePoses | None, camera: CameraModel | None,
                      cal: Calibration | None,
                      near_m: float, clerk_angles_deg: dict[str, float], captions: list[str], blur: bool,
                      focus: str | None = None) -> np.ndarray:
    """A copy of a frame with the counter edge, the near (2 m) line, skeletons, each clerk's trunk angle
    (``clerk_angles_deg`` by person name), each customer's distance to the counter, and caption lines; the faces
    of everyone but the clerks blurred unless ``blur`` is False. ``focus`` (a person name as in findings) adds an
    enlarged inset of that person."""
    out = image.copy()
    persons = poses.persons if poses is not None else []
    if blur:
        blur_faces(out, persons)
    if cal is not None:
        draw_floor_polyline(out, camera, cal.counter.edge_m, (0, 200, 255), 2)
        draw_floor_polyline(out, camera, offset_polyline_m(cal.counter.edge_m, near_m, cal.counter.customer_side),
                            (0, 0, 255), 2)
    for p in persons:
        draw_person(out, p)
        x0, y0, _, _ = p.bbox_px()
        text = person_name(p, cal)
        angle = clerk_angles_deg.get(text)
        if p.role == "clerk" and angle is not None and np.isfinite(angle):
            text += f"  trunk {angle:.0f} deg"
        elif p.role in ("customer", "waiting") and p.floor_xy_m is not None and cal is not None:
            d = float(distance_to_polyline_m(np.asarray(p.floor_xy_m, float), cal.counter.edge_m,
                                             cal.counter.customer_side))
            text += f"  {d:.2f} m"
        put_label(out, text, (int(max(4, x0)), int(max(16, y0 - 8))), (255, 255, 255), 0.6)
    caption_box(out, captions)
    target = next((p for p in persons if person_name(p, cal) == focus), None) if focus else None
    if target is not None:
        add_inset(out, target.bbox_px())
    return out


def _clerk_angles_at(result: ReviewResult, cal: Calibration | None, t_s: float) -> dict[str, float]:
    """Each clerk's trunk flexion (degrees) at the sample nearest ``t_s``."""
    out = {}
    for st in cal.clerk_stations if cal is not None else ():
        name = clerk_person_name(cal, st.name)
        series = next((s for s in result.series if s.name == trunk_series_name(name)), None)
        if series is not None and len(series.t_s):
            out[name] = float(series.values[int(np.argmin(np.abs(series.t_s - t_s)))])
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
        angles = _clerk_angles_at(result, cal, f.evidence_t_s or 0.0)
        img = draw_review_frame(images[f.evidence_frame_index], by_index.get(f.evidence_frame_index), camera, cal,
                                near_m, angles, _finding_caption(f), blur, f.person)
        path = out_dir / f"finding_{n + 1:03d}_{f.rule_id}.jpg"
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        f.evidence_image = str(path)
        written.append(path)
    return written


def write_annotated_video(video: str | Path, path: Path, result: ReviewResult, tracks: Tracks, camera: CameraModel,
                          cal: Calibration, near_m: float, fps: float, blur: bool = True) -> Path:
    """The analysed frames with skeletons, live trunk angle and distances, and findings captioned as they happen."""
    by_index = {f.frame_index: f for f in tracks.frames}
    sink = None
    try:
        for frame in VideoSource(video, analysis_fps=fps):
            poses = by_index.get(frame.index)
            t = frame.timestamp_s
            active = [f for f in result.findings if f.start_s - 0.2 <= t <= max(f.end_s, f.start_s + 2.0)
                      and f.verdict not in (Verdict.NOT_APPLICABLE,)]
            captions = [f"t = {t:6.1f} s"] + [f"{f.title_en}: {f.verdict.value}" for f in active[:4]]
            angles = _clerk_angles_at(result, cal, poses.timestamp_s) if poses else {}
            img = draw_review_frame(frame.image, poses, camera, cal, near_m, angles, captions, blur)
            if sink is None:
                sink = VideoSink(path, fps, img.shape[1], img.shape[0])
            sink.write(img)
    finally:
        if sink is not None:
            sink.close()
    return path


NO_CALIBRATION = ("no calibration: the floor is unknown, so nobody's role, distance to the counter or trunk angle "
                  "from the true vertical can be measured")


def review(video: str | Path | None, calibration: str | Path | None, out_dir: str | Path, *,
           tracks_path: str | Path | None = None, rulebook: str | Path | None = None, lang: str = "zh",
           fps: float = 10.0, model: str = "full", annotate: str | Path | None = None, blur: bool = True,
           on_frame: Callable[[FramePoses], None] | None = None) -> tuple[ReviewResult, ReviewOutputs]:
    """Review a video (people → analysis → grading → reports). With ``tracks_path`` and no ``video``, re-grade an
    existing tracks file without decoding anything (no keyframes then). Without a calibration people are still
    found and tracked, and every rule is reported not assessable (:data:`NO_CALIBRATION`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rb = load_rulebook(rulebook)
    cal = load_calibration(calibration) if calibration is not None else None
    camera = solve_camera(cal) if cal is not None else None
    problem = None
    if tracks_path is None:
        if video is None:
            raise ValueError("review needs a video or a tracks file")
        source = VideoSource(video, analysis_fps=fps)
        if cal is not None and (source.info.width, source.info.height) != (cal.image_width, cal.image_height):
            raise ValueError(f"{calibration}: calibrated for {cal.image_width}x{cal.image_height} images but "
                             f"{video} is {source.info.width}x{source.info.height}")
        tracks_path = out / "tracks.jsonl.gz"
        summary = run_people(source, tracks_path, cal, PeopleConfig(model=model), on_frame=on_frame)
        problem = summary.problem
    tracks = read_tracks(tracks_path)
    if tracks.header.version == 1 and cal is not None and len(cal.clerk_stations) == 1:
        for f in tracks.frames:  # version 1 had one clerk region: it is the only station's clerk
            for p in f.by_role("clerk"):
                p.station = cal.clerk_stations[0].name
    if problem is None and tracks.footer is not None and not tracks.footer.complete:
        problem = tracks.footer.problem or "the pose run that wrote the tracks did not finish"
    elif problem is None and tracks.footer is None:
        problem = "the tracks file has no closing line: the pose run was interrupted"
    frames = tracks.frames
    duration = frames[-1].timestamp_s - frames[0].timestamp_s if len(frames) > 1 else 0.0
    name = str(video or tracks.header.source)
    if cal is None:
        obs = Observations(source=name, duration_s=duration, analysed_frames=len(frames),
                           image_width=tracks.header.image_width, image_height=tracks.header.image_height,
                           clerks=[], customers=[], approaches=[], problem=problem,
                           extra_not_assessable={r.id: NO_CALIBRATION for r in rb.rules})
    else:
        obs = analyse(frames, cal, camera, rb, name, duration, problem)
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
