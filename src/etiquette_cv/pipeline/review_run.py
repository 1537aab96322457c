"""The main job as a library call: video (or tracks) + calibration + rulebook → findings, report, evidence.

video → people (tracks) → posture and events (:mod:`.analysis`) → rules (grading) → scene checks and service
times → reports. The CLI's ``etiquette review`` is a thin layer over :func:`review`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core import FramePoses
from ..geometry.calibration import Calibration, load_calibration
from ..geometry.camera import CameraModel
from ..geometry.solver import solve_camera
from ..io.tracks import Tracks, read_tracks
from ..report.evidence import write_annotated_video, write_keyframes
from ..report.findings_csv import write_findings_csv
from ..report.findings_json import write_findings_json
from ..report.page import write_report_html
from ..rules.findings import ReviewResult
from ..rules.grading import grade
from ..rules.observations import Observations
from ..rules.rulebook import Rulebook, load_rulebook
from ..scene import run_scene_checks
from ..service_times import Ticket, apply_service_times, load_tickets
from .analysis import analyse
from .people_run import open_video_for, people_config, run_people
from .refine import RefineSettings, RefineStats, refine_clerks


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
    refine: RefineStats | None = None
    """What the second (expensive) pass re-measured and cost, when it ran."""


NO_CALIBRATION = ("no calibration: the floor is unknown, so nobody's role, distance to the counter or trunk angle "
                  "from the true vertical can be measured")


def review(video: str | Path | None, calibration: str | Path | None, out_dir: str | Path, *,
           tracks_path: str | Path | None = None, rulebook: str | Path | None = None, lang: str = "zh",
           fps: float = 10.0, model: str = "full", annotate: str | Path | None = None, blur: bool = True,
           on_frame: Callable[[FramePoses], None] | None = None,
           tickets: str | Path | None = None, refine: str | None = None,
           quiet_every: int | None = None, resume: bool = False) -> tuple[ReviewResult, ReviewOutputs]:
    """Review a video (people → analysis → grading → scene checks and service times → reports). With
    ``tracks_path`` and no ``video``, re-grade an existing tracks file without decoding anything (no keyframes
    then, and the image checks are not assessable). Without a calibration people are still found and tracked, and
    every rule is reported not assessable (:data:`NO_CALIBRATION`). ``tickets``: a queue-ticket CSV whose times
    prevail over the tracks' (DB 表2 注3). ``refine`` (a pose model, e.g. ``"heavy"``) re-measures each clerk's
    standing intervals with that model (:mod:`.refine`; needs the video). ``quiet_every``: while nothing happens
    analyse one sampled frame in this many (:mod:`..people.rate`; 1 analyses every sampled frame; None: the
    default). ``resume``: continue the tracks an interrupted review of the same video left in ``out_dir``."""
    if refine is not None and video is None:
        raise ValueError("--refine re-reads the video: give the video as well as the tracks")
    ticket_rows = load_tickets(tickets) if tickets is not None else None   # bad input fails before the long run
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rb = load_rulebook(rulebook)
    cal = load_calibration(calibration) if calibration is not None else None
    camera = solve_camera(cal) if cal is not None else None
    problem = None
    if tracks_path is None:
        if video is None:
            raise ValueError("review needs a video or a tracks file")
        source = open_video_for(video, cal, calibration, fps)
        tracks_path = out / "tracks.jsonl.gz"
        summary = run_people(source, tracks_path, cal, people_config(model, quiet_every), on_frame=on_frame,
                             resume=resume)
        problem = summary.problem
    tracks, problem = _load_tracks(tracks_path, cal, problem)
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
    refined = None
    if refine is not None and cal is not None:
        frames, refined = refine_clerks(video, frames, obs, fps, RefineSettings(model=refine))
        obs = analyse(frames, cal, camera, rb, name, duration, problem)
    result = grade(obs, rb)
    keyframes: list[Path] = []
    if video is not None:
        keyframes = write_keyframes(video, result, tracks, camera, cal, rb.near_m, out / "keyframes", blur)
    annotated = None
    if annotate is not None and video is not None:
        annotated = write_annotated_video(video, Path(annotate), result, tracks, camera, cal, rb.near_m, fps, blur,
                                          lang)
    _scene_and_service_times(result, video, frames, cal, camera, rb, out / "keyframes", ticket_rows)
    outputs = ReviewOutputs(out, *_write_reports(result, out, rb, lang), tracks=Path(tracks_path),
                            annotated_video=annotated, keyframes=keyframes, refine=refined)
    return result, outputs


def _scene_and_service_times(result: ReviewResult, video: str | Path | None, frames: list[FramePoses],
                             cal: Calibration | None, camera: CameraModel | None, rb: Rulebook, evidence_dir: Path,
                             tickets: list[Ticket] | None) -> None:
    """The rules :func:`grade` leaves to later stages (``rules.graders.GRADED_LATER``): the periodic scene checks on
    the video (a second decoding pass; evidence JPEGs in ``evidence_dir``) and DB 表2's waiting and handling times
    from the tracks or the queue tickets. Without a calibration they stay not assessable (:data:`NO_CALIBRATION`),
    except the tickets' figures."""
    if cal is not None and camera is not None:
        scene = run_scene_checks(video, frames, cal, camera, rb, evidence_dir)
        result.findings += scene.findings
        result.coverage.assessable_rules += [r for r in scene.assessed if r not in result.coverage.assessable_rules]
        result.coverage.not_assessable_rules.update(scene.not_assessable)
    apply_service_times(result, frames, cal, rb, rb.near_m, tickets)
    result.findings.sort(key=lambda f: (f.start_s, f.rule_id))


def _load_tracks(tracks_path: str | Path, cal: Calibration | None, problem: str | None) -> tuple[Tracks, str | None]:
    """The tracks file, and why the review covers only part of the video (the run's problem, or the file's)."""
    tracks = read_tracks(tracks_path)
    if tracks.header.version == 1 and cal is not None and len(cal.clerk_stations) == 1:
        for f in tracks.frames:  # version 1 had one clerk region: it is the only station's clerk
            for p in f.by_role("clerk"):
                p.station = cal.clerk_stations[0].name
    if problem is None and tracks.footer is not None and not tracks.footer.complete:
        problem = tracks.footer.problem or "the pose run that wrote the tracks did not finish"
    elif problem is None and tracks.footer is None:
        problem = "the tracks file has no closing line: the pose run was interrupted"
    return tracks, problem


def _write_reports(result: ReviewResult, out: Path, rb: Rulebook, lang: str) -> tuple[Path, Path, Path]:
    """findings.json, findings.csv and report.html (its trunk plot with the rulebook's bow bands and angles)."""
    bands = [(c.name_zh, c.min_deg, c.max_deg) for c in rb.bow_classes]
    references = [(f"{c.name_zh if lang == 'zh' else c.name} {c.nominal_deg:g}°", c.nominal_deg)
                  for c in rb.bow_classes]
    return (write_findings_json(result, out / "findings.json", base_dir=Path.cwd()),
            write_findings_csv(result, out / "findings.csv", base_dir=Path.cwd()),
            write_report_html(result, out / "report.html", lang=lang, bow_bands=bands, bow_references=references,
                              base_dir=Path.cwd()))
