"""Evidence of a review: one annotated keyframe per finding, and the annotated video.

What each frame shows is decided here (people's names, clerks' trunk angles, customers' distances to the counter,
captions); the annotators only draw it. Times are seconds; distances metres.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import cv2
import numpy as np

from ..annotators.draw import blur_faces
from ..annotators.review import draw_review_frame
from ..core import FramePoses, PersonPose, clerk_name
from ..geometry.calibration import Calibration
from ..geometry.camera import CameraModel
from ..geometry.floor import counter_skyline_px
from ..geometry.polyline import distance_to_polyline_m, offset_polyline_m
from ..io.privacy import cover_private
from ..io.sink import LazyVideoSink
from ..io.tracks import Tracks
from ..io.video import VideoSource
from ..posture.clerk import hide_behind_counter
from ..rules.findings import Finding, ReviewResult, Verdict
from ..rules.grading import trunk_series_name
from .i18n import verdict_label

SEEK_ABOVE_S = 300.0
"""Videos longer than this get their evidence frames by seeking rather than by one forward pass."""
SEEK_WINDOW_S = 0.5
"""A seek decodes this long either side of the evidence time and keeps the nearest frame."""
KEYFRAME_JPEG_QUALITY = 85
CAPTION_LEAD_S = 0.2
"""A finding's caption shows on the annotated video from this long before it starts …"""
CAPTION_MIN_S = 2.0
"""… and for at least this long."""
MAX_CAPTIONS = 4
SHOWN_VISIBILITY = 0.5
"""Landmarks less visible than this are not drawn (the posture stage does not use them either)."""
BEHIND_COUNTER_ROLES = ("clerk", "other")
"""Roles of people behind the counter: their landmarks below its top edge in the image are hidden."""


def seen_only(pose: PersonPose, skyline_px: np.ndarray | None, visibility: float = SHOWN_VISIBILITY) -> PersonPose:
    """A copy of the pose without the landmarks the product treats as hidden — below the counter's top edge in the
    image for a person behind it (``skyline_px``, when the counter is known), or less visible than
    ``visibility`` — so they are not drawn as seen (their presence is set to 0)."""
    if skyline_px is not None and len(skyline_px) >= 2 and pose.role in BEHIND_COUNTER_ROLES:
        pose = hide_behind_counter(pose, skyline_px)
    return replace(pose, presence=np.where(pose.visibility >= visibility, pose.presence, 0.0))


def shown_poses(poses: FramePoses | None, camera: CameraModel | None, cal: Calibration | None
                ) -> FramePoses | None:
    """The frame's poses as drawn: every person :func:`seen_only`."""
    if poses is None:
        return None
    skyline = None
    if camera is not None and cal is not None:
        skyline = np.asarray(counter_skyline_px(camera, cal.counter.edge_m, cal.counter.height_m,
                                                clerk_side=-cal.counter.customer_side))
    return replace(poses, persons=[seen_only(p, skyline) for p in poses.persons])


def person_name(p: PersonPose, cal: Calibration | None) -> str:
    """How findings name a tracked person: their clerk name (``clerk`` or ``clerk@A``) or ``role#id``."""
    if p.role == "clerk" and p.station is not None and cal is not None:
        return clerk_name(p.station, len(cal.clerk_stations))
    return f"{p.role}#{p.track_id}"


def review_labels(poses: FramePoses | None, cal: Calibration | None, clerk_angles_deg: dict[str, float]
                  ) -> dict[int, str]:
    """Each person's label by track id: their name, with a clerk's trunk angle (``clerk_angles_deg`` by name) or
    a customer's distance to the counter."""
    out = {}
    for p in poses.persons if poses is not None else []:
        text = person_name(p, cal)
        angle = clerk_angles_deg.get(text)
        if p.role == "clerk" and angle is not None and np.isfinite(angle):
            text += f"  trunk {angle:.0f}°"
        elif p.role in ("customer", "waiting") and p.floor_xy_m is not None and cal is not None:
            d = float(distance_to_polyline_m(np.asarray(p.floor_xy_m, float), cal.counter.edge_m,
                                             cal.counter.customer_side))
            text += f"  {d:.2f} m"
        out[p.track_id] = text
    return out


def _draw(image: np.ndarray, poses: FramePoses | None, camera: CameraModel | None, cal: Calibration | None,
          near_m: float, angles: dict[str, float], captions: list[str], blur: bool, focus: str | None = None
          ) -> np.ndarray:
    edge = cal.counter.edge_m if cal is not None else None
    near = offset_polyline_m(edge, near_m, cal.counter.customer_side) if cal is not None else None
    focus_track = None
    if focus is not None and poses is not None:
        focus_track = next((p.track_id for p in poses.persons if person_name(p, cal) == focus), None)
    if (blur and poses is not None) or (cal is not None and cal.privacy_masks):
        image = image.copy()
    if blur and poses is not None:  # faces from every landmark, seen or not: hiding a landmark must not unblur a face
        blur_faces(image, poses.persons)
    if cal is not None:
        cover_private(image, *cal.privacy)
    return draw_review_frame(image, shown_poses(poses, camera, cal), camera, edge, near,
                             review_labels(poses, cal, angles), captions, False, focus_track)


def _clerk_angles_at(result: ReviewResult, cal: Calibration | None, t_s: float) -> dict[str, float]:
    """Each clerk's trunk flexion (degrees) at the sample nearest ``t_s``."""
    out = {}
    for st in cal.clerk_stations if cal is not None else ():
        name = clerk_name(st.name, len(cal.clerk_stations))
        series = next((s for s in result.series if s.name == trunk_series_name(name)), None)
        if series is not None and len(series.t_s):
            out[name] = float(series.values[int(np.argmin(np.abs(series.t_s - t_s)))])
    return out


def _finding_caption(f: Finding) -> list[str]:
    value = "" if f.measured_value is None else f"  measured {f.measured_value:g} {f.measured_unit}".rstrip()
    return [f"{f.rule_id}: {f.title_en}", f"{f.verdict.value.upper()}{value}",
            f"t = {f.evidence_t_s:.1f} s  frame {f.evidence_frame_index}"]


def _frames_at(video: str | Path, wanted: list[int], times_s: dict[int, float]
               ) -> Iterator[tuple[int, np.ndarray]]:
    """(index, image) of the wanted frame indices in order, one at a time (only one image is held): by seeking in
    a long recording (``times_s``: each index's time, s), by one forward pass in a clip."""
    info = VideoSource(video, analysis_fps=None).info
    if info.duration_s is not None and info.duration_s > SEEK_ABOVE_S:
        for idx in wanted:
            t = times_s.get(idx)
            if t is None:
                continue
            best = None
            for frame in VideoSource(video, analysis_fps=None, start_s=max(0.0, t - SEEK_WINDOW_S),
                                     end_s=t + SEEK_WINDOW_S):
                if best is None or abs(frame.timestamp_s - t) < abs(best.timestamp_s - t):
                    best = frame
            if best is not None:
                yield idx, best.image
        return
    want = set(wanted)
    for frame in VideoSource(video, analysis_fps=None):
        if frame.index in want:
            yield frame.index, frame.image
            want.discard(frame.index)
            if not want:
                break


def write_evidence_image(image: np.ndarray, poses: FramePoses | None, f: Finding, result: ReviewResult,
                         camera: CameraModel | None, cal: Calibration | None, near_m: float, path: Path,
                         blur: bool = True) -> Path:
    """One finding's evidence JPEG drawn on ``image`` (faces blurred, privacy masks covered, the people and the
    finding's caption drawn) and written to ``path``; sets the finding's ``evidence_image``."""
    angles = _clerk_angles_at(result, cal, f.evidence_t_s or 0.0)
    img = _draw(image, poses, camera, cal, near_m, angles, _finding_caption(f), blur, f.person)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_JPEG_QUALITY])
    f.evidence_image = str(path)
    return path


def write_keyframes(video: str | Path, result: ReviewResult, poses: Tracks | Mapping[int, FramePoses],
                    camera: CameraModel | None, cal: Calibration | None, near_m: float, out_dir: Path,
                    blur: bool = True) -> list[Path]:
    """Write one annotated evidence JPEG per finding that has an evidence time, and set its ``evidence_image``;
    ``poses``: the tracks, or the frames of the findings' evidence by frame index (a streamed review keeps only
    those); ``near_m`` is the near distance to the counter (metres) drawn as a line. Each image is written as
    soon as it is decoded, so memory does not grow with the number of findings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    by_index = {f.frame_index: f for f in poses.frames} if isinstance(poses, Tracks) else poses
    of_frame: dict[int, list[int]] = {}
    for n, f in enumerate(result.findings):
        if f.evidence_frame_index is not None:
            of_frame.setdefault(f.evidence_frame_index, []).append(n)
    wanted = sorted(of_frame)
    times = {i: by_index[i].timestamp_s for i in wanted if i in by_index}
    written: dict[int, Path] = {}
    for idx, image in _frames_at(video, wanted, times) if wanted else ():
        for n in of_frame[idx]:
            f = result.findings[n]
            written[n] = write_evidence_image(image, by_index.get(idx), f, result, camera, cal, near_m,
                                              out_dir / f"finding_{n + 1:03d}_{f.rule_id}.jpg", blur)
    return [written[n] for n in sorted(written)]


def write_annotated_video(video: str | Path, path: Path, result: ReviewResult,
                          tracks: Tracks | Iterable[FramePoses], camera: CameraModel | None,
                          cal: Calibration | None, near_m: float, fps: float, blur: bool = True,
                          lang: str = "en") -> Path:
    """The analysed frames (``fps`` per second) with skeletons, live trunk angle and distances, and findings
    captioned as they happen (titles in ``lang``, zh or en). ``tracks``: the tracks, or their frames in order
    (streamed alongside the video)."""
    poses_of = _PosesByIndex(tracks.frames if isinstance(tracks, Tracks) else tracks)
    sink = LazyVideoSink(path, fps)
    try:
        for frame in VideoSource(video, analysis_fps=fps):
            poses = poses_of.get(frame.index)
            t = frame.timestamp_s
            active = [f for f in result.findings
                      if f.start_s - CAPTION_LEAD_S <= t <= max(f.end_s, f.start_s + CAPTION_MIN_S)
                      and f.verdict not in (Verdict.NOT_APPLICABLE,)]
            captions = [f"t = {t:6.1f} s"] + [f"{f.title_zh if lang == 'zh' else f.title_en}: "
                                              f"{verdict_label(f.verdict.value, lang)}" for f in active[:MAX_CAPTIONS]]
            angles = _clerk_angles_at(result, cal, poses.timestamp_s) if poses else {}
            img = _draw(frame.image, poses, camera, cal, near_m, angles, captions, blur)
            sink.write(img)
    finally:
        sink.close()
    return path


class _PosesByIndex:
    """The tracks frame of each video frame index asked in increasing order, from frames streamed in order."""

    def __init__(self, frames: Iterable[FramePoses]) -> None:
        self._frames = iter(frames)
        self._next: FramePoses | None = next(self._frames, None)

    def get(self, index: int) -> FramePoses | None:
        """The frame analysed at video frame ``index``, or None when that frame was not analysed."""
        while self._next is not None and self._next.frame_index < index:
            self._next = next(self._frames, None)
        return self._next if self._next is not None and self._next.frame_index == index else None
