"""Windowed grading of a live camera: which frames each window analyses, which occasions it owns, its files.

A *segment* is one unbroken stretch of frames (a connection without outage); its t = 0 is its first frame
(``origin_epoch_s``). Windows end on wall-clock multiples of ``window_s`` (so restarts keep the same boundaries).
When window k ``[S, E)`` closes, the frames of ``[S - 2·margin, E)`` are analysed and graded with the review's own
functions, and the occasions starting in ``[E_prev - margin, E - margin)`` are stored: the ownership ranges tile
time without overlap (each occasion is stored by exactly one window), every owned occasion has at least
``margin`` seconds of frames before its start (so one that began before the analysed stretch, seen truncated at its
start, is never owned) and ``margin`` seconds after it (visits and stand-ups crossing a boundary are seen whole up
to that length). A visit still open when its window closes moves that window's ownership back to the visit's
start (:meth:`WindowBuffer.close`, up to ``max_defer_s``): the next window keeps the frames from a margin before it and
stores it whole. The last window of a segment owns everything to its end.

Each window's tracks are written to ``DIR/<origin ms>-<k>.jsonl`` (flushed per frame) and a state file
``DIR/<origin ms>.state.json`` records up to where the segment's occasions are stored; after a crash, the files left
behind are graded from there on (:func:`leftover_segments`), so nothing computed is lost and nothing counted twice.
"""

from __future__ import annotations

import json
import math
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ..core import FramePoses
from ..geometry.calibration import Calibration
from ..geometry.camera import CameraModel
from ..io.tracks import Tracks, TracksError, read_tracks
from ..rules.findings import ReviewResult, Verdict
from ..rules.grading import grade
from ..rules.rulebook import Rulebook
from ..scene import run_scene_checks
from ..service_times import apply_service_times
from .analysis import analyse, customer_approaches


@dataclass(frozen=True)
class WindowSettings:
    """Window length and overlap margin of windowed grading (seconds)."""

    window_s: float = 300.0
    margin_s: float = 60.0
    max_defer_s: float = 1800.0
    """A visit still open when its window closes holds the window's ownership back (it is stored by a later
    window, which sees it whole) up to this long: DB 表2's longest handling limit, 30 min."""

    def __post_init__(self) -> None:
        if not (self.window_s > 0 and self.margin_s >= 0 and math.isfinite(self.window_s)):
            raise ValueError(f"window settings: window {self.window_s} s and margin {self.margin_s} s must be "
                             "positive")
        if not self.max_defer_s >= 0:
            raise ValueError(f"window settings: max_defer_s {self.max_defer_s} s must be 0 or more")
        if self.window_s < 2 * self.margin_s:
            raise ValueError(f"window settings: the window ({self.window_s:g} s) must be at least twice the margin "
                             f"({self.margin_s:g} s)")

    def window_end_epoch_s(self, epoch_s: float) -> float:
        """The end (epoch s) of the wall-clock window that contains ``epoch_s``."""
        return (math.floor(epoch_s / self.window_s) + 1) * self.window_s


@dataclass
class WindowCut:
    """One closed window: the frames it analyses and the occasions it owns, ``[own_from_s, own_to_s)`` (segment
    seconds; -inf / inf at a segment's ends)."""

    frames: list[FramePoses]
    own_from_s: float
    own_to_s: float

    def owns(self, t_s: float) -> bool:
        """Whether an occasion starting at ``t_s`` (s) is this window's."""
        return self.own_from_s <= t_s < self.own_to_s


class WindowBuffer:
    """The frames still needed as they arrive in time order, cut into windows (module docstring): closing the
    window that ends at ``end_s`` hands over its frames and ownership range, then keeps only the frames of the
    next window's leading ``2 · margin``. Times are segment seconds."""

    def __init__(self, settings: WindowSettings, end_s: float) -> None:
        self.settings = settings
        self.end_s = end_s
        """End (s) of the window being filled."""
        self.frames: deque[FramePoses] = deque()
        self.own_from_s = -math.inf
        self.keep_from_s = -math.inf
        """Segment seconds from which the frames are still needed (after the last close)."""

    def add(self, frame: FramePoses) -> None:
        """One more frame (later than every frame before it)."""
        self.frames.append(frame)

    def close(self, final: bool, next_end_s: float | None = None, open_visit_start_s: float | None = None
              ) -> WindowCut:
        """Close the window being filled (``final``: the segment ends with it, it owns everything to its end); the
        next window ends at ``next_end_s`` (default: one window later). ``open_visit_start_s``: the start of a visit
        still open at the window's end (:func:`open_visit_start_s`): ownership stops there (a later window, which
        keeps the frames from a margin before it, stores the visit whole), up to ``max_defer_s``."""
        margin = self.settings.margin_s
        own_to = math.inf if final else self.end_s - margin
        if (not final and open_visit_start_s is not None
                and own_to - open_visit_start_s <= self.settings.max_defer_s):
            own_to = max(self.own_from_s, min(own_to, open_visit_start_s))
        cut = WindowCut(list(self.frames), self.own_from_s, own_to)
        self.own_from_s = own_to
        if not final:
            self.keep_from_s = min(self.end_s - 2 * margin, own_to - margin)
            while self.frames and self.frames[0].timestamp_s < self.keep_from_s:
                self.frames.popleft()
            self.end_s = next_end_s if next_end_s is not None else self.end_s + self.settings.window_s
        return cut


def grade_frames(frames: list[FramePoses], cal: Calibration, camera: CameraModel, rb: Rulebook, name: str,
                 problem: str | None = None) -> ReviewResult:
    """Posture, events, rules and the tracks-only scene checks and service times of a stretch of pose frames
    (times in seconds from the segment's origin), as ``review`` grades a file; image checks need the video and are
    left not assessable."""
    duration = frames[-1].timestamp_s - frames[0].timestamp_s if len(frames) > 1 else 0.0
    result = grade(analyse(frames, cal, camera, rb, name, duration, problem), rb)
    scene = run_scene_checks(None, frames, cal, camera, rb, None)
    result.findings += scene.findings
    apply_service_times(result, frames, cal, rb, rb.near_m, None)
    _cut_at(result, frames[-1].timestamp_s if frames else 0.0)
    result.findings.sort(key=lambda f: (f.start_s, f.rule_id))
    return result


def open_visit_start_s(frames: list[FramePoses], cal: Calibration, camera: CameraModel, rb: Rulebook) -> float | None:
    """The earliest start (seconds) of the visits still open at the last frame — customers within the near distance
    whose stretch had not ended (lost from view for less than the rulebook's ``max_gap_s``) — or None."""
    if not frames:
        return None
    last_s = frames[-1].timestamp_s
    max_gap = rb.measure("customer", "max_gap_s")
    _, appr = customer_approaches(frames, cal, camera, rb)
    starts = [a.arrive_s if a.arrive_s is not None else a.first_inside_s for a in appr
              if a.leave_s is None and a.last_inside_s >= last_s - max_gap]
    return min(starts) if starts else None


CUT_NOTE = "the analysed stretch ends at {t:.1f} s (stream lost, watcher stopped or window edge) before this " \
           "occasion's time to comply ran out: not assessable"


def _cut_at(result: ReviewResult, last_s: float) -> None:
    """A negative verdict (missed, late, violation) whose assessment interval runs past the last analysed frame
    (seconds) was judged without seeing its end: the clerk may have complied in the time nobody watched. It becomes
    not assessable — an outage is never counted against (or for) anyone."""
    for f in result.findings:
        if f.verdict in (Verdict.MISSED, Verdict.LATE, Verdict.VIOLATION) and f.end_s > last_s + 1e-3:
            f.note = CUT_NOTE.format(t=last_s) + (f"; {f.note}" if f.note else "")
            f.verdict = Verdict.NOT_ASSESSABLE


# --- files and state ---------------------------------------------------------------------------------------------
def window_path(folder: Path, origin_epoch_s: float, index: int) -> Path:
    """The tracks file of window ``index`` of the segment that started at ``origin_epoch_s``."""
    return folder / f"{round(origin_epoch_s * 1000)}-{index:06d}.jsonl"


def state_path(folder: Path, origin_epoch_s: float) -> Path:
    """The state file of a segment: up to where (segment seconds) its occasions are stored."""
    return folder / f"{round(origin_epoch_s * 1000)}.state.json"


def write_state(folder: Path, origin_epoch_s: float, stored_until_s: float) -> None:
    """Record atomically that the segment's occasions starting before ``stored_until_s`` are in the store."""
    path = state_path(folder, origin_epoch_s)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"origin_epoch_s": origin_epoch_s, "stored_until_s": stored_until_s}))
    os.replace(tmp, path)


@dataclass
class Leftover:
    """A segment a previous run left behind (crashed, or killed): its frames and from where they are unstored."""

    origin_epoch_s: float
    tracks: Tracks
    stored_until_s: float
    files: list[Path]

    @property
    def last_epoch_s(self) -> float:
        """Wall-clock time of the segment's last frame (epoch s)."""
        frames = self.tracks.frames
        return self.origin_epoch_s + (frames[-1].timestamp_s if frames else 0.0)


def leftover_segments(folder: Path) -> list[Leftover]:
    """Segments whose window files are still in ``folder`` (a run that did not finish them), oldest first; the
    frames of each segment's files concatenated in time order."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*-*.jsonl")):
        groups.setdefault(path.name.split("-", 1)[0], []).append(path)
    for state in folder.glob("*.state.json"):  # a run stopped between removing a stretch's files and its state
        if state.name.split(".", 1)[0] not in groups:
            remove_files([state])
    out = []
    for key, files in sorted(groups.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0):
        frames: list[FramePoses] = []
        header = None
        for path in files:
            try:
                tracks = read_tracks(path)
            except TracksError:
                continue  # a file cut before its header line: nothing in it
            header = header or tracks.header
            frames += [f for f in tracks.frames if not frames or f.timestamp_s > frames[-1].timestamp_s]
        state = folder / f"{key}.state.json"
        stored_until = -math.inf
        origin = header.start_epoch_s if header is not None and header.start_epoch_s is not None else int(key) / 1000
        if state.exists():
            try:
                stored_until = float(json.loads(state.read_text())["stored_until_s"])
            except (ValueError, KeyError, TypeError):
                stored_until = -math.inf
        if header is not None:
            out.append(Leftover(origin, Tracks(header, frames), stored_until, files + [state]))
    return out


def remove_files(paths: list[Path]) -> None:
    """Delete files that may already be gone."""
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            pass
