"""Two-pass precision: the clerk re-measured with an expensive pose setting where it pays.

The first (cheap) pass is the people run over the whole video with the default model. Its analysis says where the
clerk stands, bends and rises (the intervals every bow, stoop and stand-up is graded from); only those intervals are
decoded again and the clerk's landmarks there are replaced by a second landmarker with the expensive setting (the
heavy model, a larger crop, every analysed frame, restarted at each interval so its tracking starts clean). The
rest of the video keeps the first pass. Why: on a far front-oblique view the full model reads a 15° bow as
7–8° where the heavy one reads it within 1–2° (README "Measured figures"), and a whole-video heavy run costs about
three times the full one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core import FramePoses, PersonPose
from ..io.video import VideoSource
from ..models import resolve_pose_model
from ..people.landmarker import LandmarkerSettings, TrackLandmarker
from ..rules.observations import Observations
from ..timeseries import label_runs


@dataclass(frozen=True)
class RefineSettings:
    """The second pass's expensive setting and the intervals it covers."""

    model: str = "heavy"
    crop_long_side_px: int = 512
    """Larger than the first pass's crop (384 px): a far clerk's trunk spans more of the model's input."""
    pad_s: float = 1.0
    """Each standing interval is extended by this much either side: the rise before it and the sit-down after it
    are re-measured too, so that no standing spell mixes the two models' landmarks (their upright readings differ;
    re-measuring only from the rise's completion to the sit-down's onset lost the reception sample's bows)."""
    min_visibility: float = 0.5


@dataclass
class RefineStats:
    """What the second pass cost and covered."""

    intervals: list[tuple[str, float, float]] = field(default_factory=list)
    """(station, start s, end s) re-measured."""
    frames: int = 0
    replaced: int = 0
    wall_s: float = 0.0
    landmarker_s: float = 0.0


def refine_intervals(obs: Observations, settings: RefineSettings = RefineSettings()) -> list[tuple[str, float, float]]:
    """The first pass's standing intervals of each station's clerk (seconds, padded by ``pad_s``), where bows,
    stoops and stand-ups are graded."""
    out = []
    for co in obs.clerks:
        c = co.series
        for a, b in label_runs(c.stance):
            if c.stance[a] == "stand":
                out.append((co.station, float(c.t_s[a]) - settings.pad_s, float(c.t_s[b - 1]) + settings.pad_s))
    return out


def _clerk_index(frame: FramePoses, station: str) -> int | None:
    idx = [k for k, p in enumerate(frame.persons) if p.role == "clerk" and p.station == station]
    return min(idx, key=lambda k: frame.persons[k].landmarks_source != "mediapipe", default=None)


def _replaced(p: PersonPose, r) -> PersonPose:
    return replace(p, image_xy_px=r.image_xy_px.astype(float), image_z=r.image_z.astype(float),
                   world_xyz_m=r.world_xyz_m.astype(float), visibility=r.visibility.astype(float),
                   presence=r.presence.astype(float), landmarks_source="mediapipe")


def refine_clerks(video: str | Path, frames: list[FramePoses], obs: Observations, fps: float,
                  settings: RefineSettings = RefineSettings()) -> tuple[list[FramePoses], RefineStats]:
    """``frames`` with each clerk's landmarks re-measured by the expensive setting inside the first pass's
    standing intervals (``obs``: the first pass's analysis); the decoded video is sampled at ``fps`` like the
    first pass, and frames are matched by their index."""
    stats = RefineStats(intervals=refine_intervals(obs, settings))
    if not stats.intervals or not frames:
        return frames, stats
    t0 = time.perf_counter()
    by_index = {f.frame_index: k for k, f in enumerate(frames)}
    out = list(frames)
    lm_settings = replace(LandmarkerSettings(), crop_long_side_px=settings.crop_long_side_px)
    path = resolve_pose_model(settings.model)
    w, h = frames[0].image_width, frames[0].image_height
    landmarkers: dict[tuple[str, float], TrackLandmarker] = {}
    try:
        for frame in VideoSource(video, analysis_fps=fps):
            k = by_index.get(frame.index)
            if k is None:
                continue
            t = out[k].timestamp_s
            for station, a, b in stats.intervals:
                if not a <= t <= b:
                    continue
                j = _clerk_index(out[k], station)
                if j is None:
                    continue
                p = out[k].persons[j]
                lm = landmarkers.get((station, a))
                if lm is None:
                    lm = landmarkers[(station, a)] = TrackLandmarker(path, lm_settings, w, h)
                stats.frames += 1
                r = lm.detect(frame.image, t, np.asarray(p.bbox_px(), dtype=float))
                if r is None or min(r.visibility[11], r.visibility[12]) < settings.min_visibility:
                    continue
                persons = list(out[k].persons)
                persons[j] = _replaced(p, r)
                out[k] = replace(out[k], persons=persons)
                stats.replaced += 1
    finally:
        for lm in landmarkers.values():
            stats.landmarker_s += lm.landmarker_s
            lm.close()
    stats.wall_s = time.perf_counter() - t0
    return out, stats
