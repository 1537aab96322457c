"""The main job as a library call: video (or tracks) + calibration + rulebook → findings, report, evidence.

video → people (tracks) → posture and events (:mod:`.analysis`) → rules (grading) → scene checks and service
times → reports. The CLI's ``etiquette review`` is a thin layer over :func:`review`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from ..core import FramePoses
from ..geometry.calibration import Calibration, load_calibration
from ..geometry.camera import CameraModel
from ..geometry.solver import solve_camera
from ..io.tracks import Tracks, TracksFooter, TracksHeader, TracksStream
from ..people.native_memory import release_freed_memory
from ..report.evidence import write_annotated_video, write_keyframes
from ..report.findings_csv import write_findings_csv
from ..report.findings_json import write_findings_json
from ..report.page import write_report_html
from ..rules.findings import Finding, ReviewResult
from ..rules.grading import grade
from ..rules.observations import Observations
from ..rules.rulebook import Rulebook, load_rulebook
from ..scene import run_scene_checks, scene_settings
from ..scene.hall import StaffStays, staff_findings
from ..service_times import Ticket, apply_service_times, load_tickets
from .analysis import analyse
from .long_review import LONG_REVIEW_WINDOWS, StreamedGrading, grade_in_windows
from .people_run import open_video_for, people_config, run_people
from .refine import RefineSettings, RefineStats, refine_clerks
from .windows import WindowSettings


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
           quiet_every: int | None = None, resume: bool = False, detect_gate: int = 0,
           quiet_detect_gate: int | None = None) -> tuple[ReviewResult, ReviewOutputs]:
    """Review a video (people → analysis → grading → scene checks and service times → reports). With
    ``tracks_path`` and no ``video``, re-grade an existing tracks file without decoding anything (no keyframes
    then, and the image checks are not assessable). Without a calibration people are still found and tracked, and
    every rule is reported not assessable (:data:`NO_CALIBRATION`). ``tickets``: a queue-ticket CSV whose times
    prevail over the tracks' (DB 表2 注3). ``refine`` (a pose model, e.g. ``"heavy"``) re-measures each clerk's
    standing intervals with that model (:mod:`.refine`; needs the video). ``quiet_every``: while nothing happens
    analyse one sampled frame in this many (:mod:`..people.rate`; 1 analyses every sampled frame; None: the
    default). ``resume``: continue the tracks an interrupted review of the same video left in ``out_dir``.
    ``detect_gate``: skip up to this many periodic person-detector runs in a row while nothing moves outside the
    posed people (:mod:`..people.motion`; 0: off); ``quiet_detect_gate``: the same while the adaptive rate is quiet
    (None: the default)."""
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
        summary = run_people(source, tracks_path, cal,
                             people_config(model, quiet_every, detect_gate, quiet_detect_gate),
                             on_frame=on_frame, resume=resume)
        problem = summary.problem
        release_freed_memory()   # what the models freed (their arenas), before grading
    graded = grade_tracks_file(tracks_path, cal, camera, rb, None if video is None else str(video), problem,
                               video=video, fps=fps, refine=refine)
    result = graded.result
    keyframes: list[Path] = []
    if video is not None:
        keyframes = write_keyframes(video, result, graded.evidence, camera, cal, rb.near_m, out / "keyframes", blur)
    annotated = None
    if annotate is not None and video is not None:
        frames = graded.tracks.frames if graded.tracks is not None else _stations_of(TracksStream(tracks_path), cal)
        annotated = write_annotated_video(video, Path(annotate), result, frames, camera, cal, rb.near_m, fps, blur,
                                          lang)
    scene_and_service_times(graded, video, cal, camera, rb, out / "keyframes", ticket_rows)
    outputs = ReviewOutputs(out, *_write_reports(result, out, rb, lang), tracks=Path(tracks_path),
                            annotated_video=annotated, keyframes=keyframes, refine=graded.refined)
    return result, outputs


@dataclass
class GradedTracks:
    """A tracks file graded (posture, events, rules): the result, the file, and the poses its evidence keyframes
    are drawn on; the later stages (:func:`scene_and_service_times`) read the file again or use what a streamed
    grading kept."""

    result: ReviewResult
    path: Path
    header: TracksHeader
    evidence: Mapping[int, FramePoses]
    """Frames by index: every frame of a file graded at once, the findings' evidence frames of a streamed one."""
    tracks: Tracks | None = None
    """The whole file, when it was graded at once (short, without a calibration, or re-measured)."""
    streamed: StreamedGrading | None = None
    """What a streamed grading kept for the later stages (None when graded at once)."""
    refined: RefineStats | None = None


def grade_tracks_file(tracks_path: str | Path, cal: Calibration | None, camera: CameraModel | None, rb: Rulebook,
                      name: str | None = None, problem: str | None = None, *, video: str | Path | None = None,
                      fps: float = 10.0, refine: str | None = None, windows: WindowSettings | None = None
                      ) -> GradedTracks:
    """Posture, events and rules of a tracks file. A file lasting more than
    :data:`~.long_review.LONG_REVIEW_WINDOWS` windows is streamed and graded window by window (:mod:`.long_review`:
    memory does not grow with its length); a shorter one (or one without a calibration, or re-measured with
    ``refine``, which needs the video) is read and graded at once. ``problem``: why the run that wrote it
    stopped."""
    windows = windows or WindowSettings()
    stream = TracksStream(tracks_path)
    name = name or str(stream.header.source)
    frames = _stations_of(stream, cal)
    long_s = LONG_REVIEW_WINDOWS * windows.window_s
    head = _head(frames, long_s)
    if cal is None or refine is not None or not head or head[-1].timestamp_s - head[0].timestamp_s < long_s:
        tracks = Tracks(stream.header, head + list(frames))
        tracks.footer = stream.footer
        return _grade_at_once(tracks, Path(tracks_path), cal, camera, rb, name,
                              _problem_of(tracks.footer, problem), video, fps, refine)
    streamed = grade_in_windows(_handed_over(head, frames), cal, camera, rb, name, windows)
    streamed.result.problem = _problem_of(stream.footer, problem)
    return GradedTracks(streamed.result, Path(tracks_path), stream.header, streamed.evidence, streamed=streamed)


def _grade_at_once(tracks: Tracks, path: Path, cal: Calibration | None, camera: CameraModel | None, rb: Rulebook,
                   name: str, problem: str | None, video: str | Path | None, fps: float, refine: str | None
                   ) -> GradedTracks:
    """The whole file's frames analysed and graded together."""
    frames = tracks.frames
    duration = frames[-1].timestamp_s - frames[0].timestamp_s if len(frames) > 1 else 0.0
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
    return GradedTracks(grade(obs, rb), path, tracks.header, {f.frame_index: f for f in frames},
                        Tracks(tracks.header, frames, tracks.footer), refined=refined)


def scene_and_service_times(graded: GradedTracks, video: str | Path | None, cal: Calibration | None,
                            camera: CameraModel | None, rb: Rulebook, evidence_dir: Path | None,
                            tickets: list[Ticket] | None) -> None:
    """The rules :func:`grade` leaves to later stages, added to ``graded.result`` (:func:`_scene_and_service_times`);
    a streamed file's tracks are read again, a frame at a time, for the scene checks' people."""
    result, streamed = graded.result, graded.streamed
    if streamed is None:
        _scene_and_service_times(result, video, graded.tracks.frames, cal, camera, rb, evidence_dir, tickets)
        return
    span = (streamed.first_s, streamed.last_s)
    people = () if video is None else _stations_of(TracksStream(graded.path), cal)   # the image checks' people
    scene_stage(result, video, people, cal, camera, rb, evidence_dir, _staff_findings(rb, cal, streamed.staff, span))
    apply_service_times(result, streamed.floor, cal, rb, rb.near_m, tickets)
    result.findings.sort(key=lambda f: (f.start_s, f.rule_id))


def _head(frames: Iterator[FramePoses], span_s: float) -> list[FramePoses]:
    """The first frames of the stream, up to the first one ``span_s`` (s) after the first (included)."""
    head: list[FramePoses] = []
    for f in frames:
        head.append(f)
        if f.timestamp_s - head[0].timestamp_s >= span_s:
            break
    return head


def _handed_over(head: list[FramePoses], rest: Iterator[FramePoses]) -> Iterator[FramePoses]:
    """The frames of ``head`` then of ``rest``, each of ``head`` let go as it is handed over (``head`` is emptied),
    so the first windows' frames are not held for the whole stream."""
    head.reverse()
    while head:
        yield head.pop()
    yield from rest


def _staff_findings(rb: Rulebook, cal: Calibration, staff: StaffStays, span_s: tuple[float, float]
                    ) -> list[Finding]:
    """The staff-in-waiting findings of a streamed file (none when the rule or the waiting zone is missing)."""
    rule = scene_settings(rb).staff
    if rule is None or "waiting" not in cal.zones:
        return []
    return staff_findings([], rule, staff.stays(), span_s)


def _scene_and_service_times(result: ReviewResult, video: str | Path | None, frames: list[FramePoses],
                             cal: Calibration | None, camera: CameraModel | None, rb: Rulebook, evidence_dir: Path,
                             tickets: list[Ticket] | None) -> None:
    """The rules :func:`grade` leaves to later stages (``rules.graders.GRADED_LATER``): the periodic scene checks on
    the video (a second decoding pass; evidence JPEGs in ``evidence_dir``) and DB 表2's waiting and handling times
    from the tracks or the queue tickets. Without a calibration they stay not assessable (:data:`NO_CALIBRATION`),
    except the tickets' figures."""
    if cal is not None and camera is not None:
        scene_stage(result, video, frames, cal, camera, rb, evidence_dir)
    apply_service_times(result, frames, cal, rb, rb.near_m, tickets)
    result.findings.sort(key=lambda f: (f.start_s, f.rule_id))


def scene_stage(result: ReviewResult, video: str | Path | None, frames: Iterable[FramePoses], cal: Calibration,
                camera: CameraModel, rb: Rulebook, evidence_dir: Path | None, staff: list[Finding] | None = None
                ) -> None:
    """The scene checks (:func:`~..scene.run_scene_checks`, ``frames`` streamed) added to ``result``: their
    findings and which rules they could assess."""
    scene = run_scene_checks(video, frames, cal, camera, rb, evidence_dir, staff)
    result.findings += scene.findings
    result.coverage.assessable_rules += [r for r in scene.assessed if r not in result.coverage.assessable_rules]
    result.coverage.not_assessable_rules.update(scene.not_assessable)


def _stations_of(stream: TracksStream, cal: Calibration | None) -> Iterator[FramePoses]:
    """The frames of a tracks file with a version-1 file's clerk (one clerk region) made the only station's clerk;
    other files' frames as they are."""
    station = cal.clerk_stations[0].name if cal is not None and len(cal.clerk_stations) == 1 else None
    v1 = stream.header.version == 1
    for f in stream:
        if v1 and station is not None:
            for p in f.by_role("clerk"):
                p.station = station
        yield f


def _problem_of(footer: TracksFooter | None, problem: str | None) -> str | None:
    """Why the review covers only part of the video: the run's problem, or the tracks file's."""
    if problem is None and footer is not None and not footer.complete:
        return footer.problem or "the pose run that wrote the tracks did not finish"
    if problem is None and footer is None:
        return "the tracks file has no closing line: the pose run was interrupted"
    return problem


def _load_tracks(tracks_path: str | Path, cal: Calibration | None, problem: str | None) -> tuple[Tracks, str | None]:
    """The whole tracks file, and why the review covers only part of the video (the run's problem, or the file's)."""
    stream = TracksStream(tracks_path)
    tracks = Tracks(stream.header, list(_stations_of(stream, cal)))
    tracks.footer = stream.footer
    return tracks, _problem_of(tracks.footer, problem)


def _write_reports(result: ReviewResult, out: Path, rb: Rulebook, lang: str) -> tuple[Path, Path, Path]:
    """findings.json, findings.csv and report.html (its trunk plot with the rulebook's bow bands and angles)."""
    bands = [(c.name_zh, c.min_deg, c.max_deg) for c in rb.bow_classes]
    references = [(f"{c.name_zh if lang == 'zh' else c.name} {c.nominal_deg:g}°", c.nominal_deg)
                  for c in rb.bow_classes]
    return (write_findings_json(result, out / "findings.json", base_dir=Path.cwd()),
            write_findings_csv(result, out / "findings.csv", base_dir=Path.cwd()),
            write_report_html(result, out / "report.html", lang=lang, bow_bands=bands, bow_references=references,
                              base_dir=Path.cwd()))
