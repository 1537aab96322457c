"""The people run as a library call: video source → people stage → tracks file (and an optional annotated video).

The CLI is a thin layer over :func:`run_people`. Whatever happens while reading, every analysed frame is already on
disk (the tracks writer flushes each frame) and the footer records why the run stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..annotators.draw import draw_poses
from ..core import FramePoses
from ..geometry.calibration import Calibration
from ..geometry.solver import solve_camera
from ..io.sink import VideoSink
from ..io.tracks import ResumePoint, TracksFooter, TracksHeader, TracksWriter, prepare_resume
from ..io.video import VideoSource
from ..models import pose_model_sha256
from ..people.floor import FloorModel, RoleSettings
from ..people.gaps import GapFiller
from ..people.motion import MotionGateSettings
from ..people.rate import AnalysisRate, RateSettings, RateStats
from ..people.stage import PeopleConfig, PeopleStage, PeopleStats


@dataclass
class PoseRunSummary:
    """What a people run did: counts, speed, the stage's statistics and how it ended."""

    source: str
    tracks_path: Path
    frames_decoded: int
    frames_analysed: int
    video_duration_s: float
    wall_s: float
    stats: PeopleStats = field(default_factory=PeopleStats)
    rate: RateStats = field(default_factory=RateStats)
    """How many sampled frames the adaptive rate let through (``frames_analysed`` of ``frames_seen``)."""
    problem: str | None = None
    annotated_path: Path | None = None
    already_complete: bool = False
    """Set by a resume of a tracks file that was already complete: nothing was run."""
    resumed_person_frames: int = 0
    """People (summed over frames) already in the tracks file a resumed run continued."""
    filled_person_frames: int = 0
    """People (summed over frames) filled into short gaps of their tracks (:mod:`..people.gaps`)."""

    @property
    def analysed_fps(self) -> float:
        """Analysed frames per wall-clock second."""
        return self.frames_analysed / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def realtime_factor(self) -> float:
        """Seconds of video processed per wall-clock second (× real time)."""
        return self.video_duration_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def nobody_found(self) -> bool:
        """True when nobody was found in any analysed frame (of this run, or of the file it resumed)."""
        return self.stats.person_frames == 0 and self.resumed_person_frames == 0 and not self.already_complete


def floor_model_for(calibration: Calibration | None, roles: RoleSettings | None = None) -> FloorModel | None:
    """The people stage's floor model of a calibration (solved here), or None without one."""
    if calibration is None:
        return None
    return FloorModel(solve_camera(calibration), calibration, roles or RoleSettings())


def people_config(model: str = "full", quiet_every: int | None = None, detect_gate: int = 0,
                  quiet_detect_gate: int | None = None) -> PeopleConfig:
    """The people stage's settings for a pose model, an adaptive-rate choice (None: the default rate; 1: analyse
    every sampled frame) and the detector's motion gate (periodic runs skipped in a row at most, 0: off; while the
    rate is quiet, ``quiet_detect_gate``, None: the gate's default)."""
    quiet = {} if quiet_detect_gate is None else {"quiet_max_skip_frames": quiet_detect_gate}
    gate = MotionGateSettings(max_skip_frames=detect_gate, **quiet)
    if quiet_every is None:
        return PeopleConfig(model=model, detect_gate=gate)
    return PeopleConfig(model=model, rate=RateSettings(quiet_every_n=quiet_every), detect_gate=gate)


def open_video_for(video: str | Path, cal: Calibration | None, calibration: str | Path | None,
                   fps: float) -> VideoSource:
    """The video sampled at ``fps`` frames per second, checked against the calibration's image size (a one-line
    ``ValueError`` naming both files when they differ)."""
    source = VideoSource(video, analysis_fps=fps)
    if cal is not None and (source.info.width, source.info.height) != (cal.image_width, cal.image_height):
        raise ValueError(f"{calibration}: calibrated for {cal.image_width}x{cal.image_height} images but "
                         f"{video} is {source.info.width}x{source.info.height}")
    return source


def _resume_point(source: VideoSource, tracks_path: str | Path, annotate_path) -> ResumePoint | None:
    """Where to continue an interrupted run's tracks (the source is moved past its last frame), or None when there
    is no file to continue."""
    if annotate_path is not None:
        raise ValueError("--resume cannot write an annotated video (it would cover only the resumed part)")
    if not Path(tracks_path).exists():
        return None
    point = prepare_resume(tracks_path)
    if point.header.source != source.name:
        raise ValueError(f"{tracks_path}: these tracks are of {point.header.source}, not {source.name}: "
                         "remove the file or give the same video to resume")
    if point.last_t_s is not None and not point.complete:
        source.start_s = max(source.start_s, point.last_t_s + 1e-3)
    return point


def run_people(
    source: VideoSource,
    tracks_path: str | Path,
    calibration: Calibration | None = None,
    config: PeopleConfig | None = None,
    annotate_path: str | Path | None = None,
    on_frame: Callable[[FramePoses], None] | None = None,
    resume: bool = False,
) -> PoseRunSummary:
    """Run the people stage over ``source`` and stream the tracks to ``tracks_path``.

    Without a calibration people are still found and tracked, with the role ``unknown``. ``on_frame`` is called
    after each analysed frame (progress bars, live consumers). Returns a summary whose ``problem`` is set when the
    video ended early; the tracks written up to that point are complete and valid. ``resume``: when
    ``tracks_path`` holds the tracks of an interrupted run of the same video, continue after its last frame
    (people found from there on get new track ids, above the file's); a complete file is left as it is.
    """
    config = config or PeopleConfig()
    resume_at = _resume_point(source, tracks_path, annotate_path) if resume else None
    if resume_at is not None and resume_at.complete:
        return PoseRunSummary(source.name, Path(tracks_path), resume_at.frames_decoded, resume_at.frames,
                              0.0, 0.0, problem=None, already_complete=True,
                              resumed_person_frames=resume_at.person_frames)
    info = source.info
    t0 = time.perf_counter()
    sink = None
    floor = floor_model_for(calibration, config.roles)
    rate = source.analysis_fps or info.nominal_fps or 10.0
    chooser = AnalysisRate(info.width, info.height, floor, config.rate)
    with PeopleStage(info.width, info.height, rate, floor, config) as stage:
        header = TracksHeader(
            source=source.name,
            image_width=info.width,
            image_height=info.height,
            nominal_fps=info.nominal_fps,
            analysis_fps=source.analysis_fps,
            model=str(config.model),
            model_sha256=pose_model_sha256(stage.model_path),
            detector=config.detector,
            calibration=None if calibration is None else calibration.source,
        )
        if resume_at is not None:
            header = resume_at.header
        writer = TracksWriter(tracks_path, header, append=resume_at is not None)
        gaps = GapFiller(config.gaps)
        id_offset = 0 if resume_at is None else resume_at.max_track_id
        analysed = 0 if resume_at is None else resume_at.frames
        problem = None
        try:
            if annotate_path is not None:
                sink = VideoSink(annotate_path, rate, info.width, info.height)
            poses = None
            for frame in source:
                if chooser.should_analyse(frame.image, frame.timestamp_s):
                    poses = stage.process(frame, quiet=chooser.quiet)
                    for p in poses.persons:
                        p.track_id += id_offset
                    chooser.observe(frame.image, poses)
                    for done in gaps.push(poses):
                        writer.write_frame(done)
                    analysed += 1
                    if on_frame is not None:
                        on_frame(poses)
                if sink is not None:  # a skipped frame shows the last analysed people
                    sink.write(draw_poses(frame.image, poses) if poses is not None else frame.image)
            problem = source.report.problem
        except BaseException as exc:
            problem = f"{source.name}: stopped: {exc}" if not str(exc).startswith(source.name) else str(exc)
            raise
        finally:
            for done in gaps.flush():   # what was computed is written, however the run ends
                writer.write_frame(done)
            writer.close(TracksFooter(
                frames_decoded=source.report.frames_decoded + (0 if resume_at is None else resume_at.frames_decoded),
                frames_analysed=analysed,
                complete=problem is None,
                problem=problem,
            ))
            if sink is not None:
                sink.close()
        stats = stage.stats
    wall = time.perf_counter() - t0
    # Seconds of video covered: from the start to the last decoded frame, plus that frame's own display time.
    frame_s = 1.0 / info.nominal_fps if info.nominal_fps > 0 else 0.0
    duration = (source.report.last_timestamp_s - source.start_s + frame_s) if source.report.frames_decoded else 0.0
    return PoseRunSummary(
        source=source.name,
        tracks_path=Path(tracks_path),
        frames_decoded=source.report.frames_decoded,
        frames_analysed=analysed,
        video_duration_s=duration,
        wall_s=wall,
        stats=stats,
        rate=chooser.stats,
        problem=problem,
        resumed_person_frames=0 if resume_at is None else resume_at.person_frames,
        filled_person_frames=gaps.filled,
        annotated_path=Path(annotate_path) if annotate_path else None,
    )
