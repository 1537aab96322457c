"""The pose run as a library call: video source → pose estimator → tracks file (and an optional annotated video).

The CLI is a thin layer over :func:`run_pose`. Whatever happens while reading, every analysed frame is already on
disk (the tracks writer flushes each frame) and the footer records why the run stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .annotators import VideoSink, draw_poses
from .models import pose_model_sha256
from .pose import PoseConfig, PoseEstimator, RegionStats
from .tracks import TracksFooter, TracksHeader, TracksWriter
from .types import FramePoses, RegionOfInterest
from .video import VideoSource


@dataclass
class PoseRunSummary:
    """What a pose run did: counts, speed, per-region findings and how it ended."""

    source: str
    tracks_path: Path
    frames_decoded: int
    frames_analysed: int
    video_duration_s: float
    wall_s: float
    regions: dict[str, RegionStats] = field(default_factory=dict)
    problem: str | None = None
    annotated_path: Path | None = None

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
        """True when no region found anybody in any analysed frame."""
        return all(s.found == 0 for s in self.regions.values())


def full_frame_region(width: int, height: int) -> RegionOfInterest:
    """A single region covering the whole frame (used when no regions are given)."""
    return RegionOfInterest("full", 0, 0, width, height, follow=False)


def run_pose(
    source: VideoSource,
    regions: list[RegionOfInterest],
    tracks_path: str | Path,
    config: PoseConfig | None = None,
    annotate_path: str | Path | None = None,
    on_frame: Callable[[FramePoses], None] | None = None,
) -> PoseRunSummary:
    """Run the pose stage over ``source`` and stream the tracks to ``tracks_path``.

    ``on_frame`` is called after each analysed frame (progress bars, live consumers). Returns a summary whose
    ``problem`` is set when the video ended early; the tracks written up to that point are complete and valid.
    """
    config = config or PoseConfig()
    info = source.info
    regions = regions or [full_frame_region(info.width, info.height)]
    t0 = time.perf_counter()
    sink = None
    with PoseEstimator(regions, info.width, info.height, config) as estimator:
        header = TracksHeader(
            source=source.name,
            image_width=info.width,
            image_height=info.height,
            nominal_fps=info.nominal_fps,
            analysis_fps=source.analysis_fps,
            model=str(config.model),
            model_sha256=pose_model_sha256(estimator.model_path),
            regions=estimator.clipped_regions,
        )
        writer = TracksWriter(tracks_path, header)
        analysed = 0
        problem = None
        try:
            if annotate_path is not None:
                fps = source.analysis_fps or info.nominal_fps or 10.0
                sink = VideoSink(annotate_path, fps, info.width, info.height)
            for frame in source:
                poses = estimator.process(frame)
                writer.write_frame(poses)
                analysed += 1
                if sink is not None:
                    sink.write(draw_poses(frame.image, poses, estimator.clipped_regions))
                if on_frame is not None:
                    on_frame(poses)
            problem = source.report.problem
        except BaseException as exc:
            problem = f"{source.name}: stopped: {exc}" if not str(exc).startswith(source.name) else str(exc)
            raise
        finally:
            writer.close(TracksFooter(
                frames_decoded=source.report.frames_decoded,
                frames_analysed=analysed,
                complete=problem is None,
                problem=problem,
            ))
            if sink is not None:
                sink.close()
        stats = estimator.stats
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
        regions=stats,
        problem=problem,
        annotated_path=Path(annotate_path) if annotate_path else None,
    )
