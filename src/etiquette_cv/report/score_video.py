"""Trainer mode's coaching video: the analysed frames with the trainee's skeleton (only the landmarks seen), one
label with the live trunk angle, and captions naming each step's verdict from the moment it is decided and each
gesture to avoid while it lasts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..annotators.draw import blur_faces, draw_cue_line
from ..annotators.review import draw_review_frame
from ..core import FramePoses
from ..geometry.image_line import ImageLine
from ..io.privacy import cover_private
from ..io.sink import LazyVideoSink
from ..io.video import VideoSource
from ..training.results import ScoreResult, StepResult
from ..training.stream import TraineeEvents
from ..training.texts import AVOID_TEXT, metres_text, verdict_text
from .evidence import seen_only

MAX_STEP_LINES = 6


def decided_at(s: StepResult) -> float:
    """When a step's verdict is known while watching: its event's end, else the end of its late allowance (a
    missing step), else as soon as it is reached (not assessable); never while its cue has not happened yet."""
    if s.waiting_for_cue:
        return float("inf")
    if s.event is not None:
        return s.event.end_s
    if s.window_s is not None:
        return s.window_s[2]
    return 0.0


def step_captions(result: ScoreResult, t_s: float, lang: str) -> list[str]:
    """The caption lines at time ``t_s``: the steps in order, each with its verdict once decided, up to the next
    one still to do."""
    lines = []
    for n, s in enumerate(result.steps, 1):
        title = s.title_zh if lang == "zh" else s.title_en
        if decided_at(s) > t_s:
            lines.append(f"{n}. {title} …")
            break
        lines.append(f"{n}. {title}: {verdict_text(s.verdict, lang)}")
    return lines[-MAX_STEP_LINES:]


def avoid_captions(result: ScoreResult, t_s: float, lang: str) -> list[str]:
    """The caption lines at time ``t_s`` of the gestures to avoid happening then (from their start to their end)."""
    word = "应避免" if lang == "zh" else "avoid"
    return [f"{word}: {AVOID_TEXT[e.kind][lang][0]}" for e in result.to_avoid if e.start_s <= t_s <= e.end_s]


def write_score_video(video: str | Path, path: Path, result: ScoreResult, events: TraineeEvents,
                      frames: list[FramePoses], trainee_track: int, skyline_px: np.ndarray | None, fps: float,
                      lang: str = "zh", visibility: float = 0.5,
                      private: tuple[list[np.ndarray], tuple[int, int]] | None = None,
                      cue_line: ImageLine | None = None) -> Path:
    """Write the coaching video (H.264 MP4, ``fps`` frames per second) and return its path; ``private``: the
    calibration's privacy masks (polygons in pixels, the calibrated (width, height)), covered; ``cue_line``: the near
    distance's line marked on the floor (``--cue-line``), drawn so the trainer sees where it was taken to be."""
    by_index = {f.frame_index: f for f in frames}
    t_curve, v_curve = np.asarray(events.t_s, float), np.asarray(events.flexion_deg, float)
    who = "学员" if lang == "zh" else "trainee"
    trunk = "躯干" if lang == "zh" else "trunk"
    sink = LazyVideoSink(path, fps)
    try:
        for frame in VideoSource(video, analysis_fps=fps):
            poses = by_index.get(frame.index)
            persons = [seen_only(p, skyline_px, visibility) for p in (poses.persons if poses else [])
                       if p.track_id == trainee_track]
            label = who
            if len(t_curve) and persons:
                k = int(np.argmin(np.abs(t_curve - frame.timestamp_s)))
                if np.isfinite(v_curve[k]) and abs(t_curve[k] - frame.timestamp_s) < 0.5:
                    label += f"  {trunk} {v_curve[k]:.0f}°"
            image = frame.image.copy()
            blur_faces(image, [p for p in (poses.persons if poses else []) if p.track_id != trainee_track], ())
            if private is not None:
                cover_private(image, *private)
            if cue_line is not None:
                draw_cue_line(image, cue_line, metres_text(events.near_m) + " m")
            shown = FramePoses(frame.index, frame.timestamp_s, image.shape[1], image.shape[0], persons)
            captions = [f"t = {frame.timestamp_s:5.1f} s"] + step_captions(result, frame.timestamp_s, lang) \
                + avoid_captions(result, frame.timestamp_s, lang)
            img = draw_review_frame(image, shown, None, None, None, {trainee_track: label}, captions,
                                    blur=False)
            sink.write(img)
    finally:
        sink.close()
    return path
