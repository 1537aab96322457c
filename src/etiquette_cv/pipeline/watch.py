"""Branch mode, live half: watch cameras continuously, grade in windows, commit events as they happen.

Per camera: :class:`~etiquette_cv.io.live.LiveSource` (always reconnects) → people stage → a tracks file per window
→ each closed window graded with the review's functions (:mod:`.windows`) → its events into the store. Coverage
(the time really analysed, with the analysis rate and the frames dropped) is committed about every second, outages
as gaps when they close, so ``kill -9`` loses at most the last second; window files left by a killed run are graded
on restart from where the store stopped (idempotent keys: nothing is counted twice).

When the box cannot keep up, the analysis rate is lowered (down to ``min_analysis_fps``), then frames are dropped;
both are logged and recorded in the coverage spans. The watcher never falls further behind real time: the source
keeps only the latest frames. Memory is bounded by one window plus its margins of pose frames, and, while a
customer's visit is still open at a window's end, the frames since its start (up to ``windows.max_defer_s``): the
visit is stored whole by a later window.
"""

from __future__ import annotations

import gzip
import logging
import math
import queue
import resource
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..core import Frame, FramePoses
from ..geometry.calibration import Calibration
from ..geometry.camera import CameraModel
from ..geometry.solver import solve_camera
from ..io.live import LiveFrame, LiveSettings, LiveSource, Outage, OutageStarted, SourceEnded
from ..io.tracks import TracksFooter, TracksHeader, TracksWriter
from ..models import pose_model_sha256, resolve_pose_model
from ..people.gaps import GapFiller, GapSettings
from ..people.motion import MotionGateSettings
from ..people.rate import LIVE_QUIET_EVERY_N, AnalysisRate, RateSettings
from ..people.stage import PeopleConfig, PeopleStage
from ..report.evidence import write_evidence_image
from ..rules.rulebook import Rulebook, load_rulebook
from ..store import StoredEvent, StoreError, events_from_review, open_store, span_event
from .camera_file import CameraFile, load_camera_calibration
from .daily_job import DailyJobSettings
from .people_run import floor_model_for
from .snapshots import Snapshots
from .windows import (WindowBuffer, WindowSettings, grade_frames, leftover_segments, open_visit_start_s,
                      remove_files, state_path, window_path, write_state)

log = logging.getLogger("etiquette_cv.watch")

NOT_RUNNING = "the watcher was not running (stopped or killed)"


@dataclass(frozen=True)
class WatchSettings:
    """How ``watch`` runs: the store, its work folder, windows, rates, reconnection and retention."""

    store: str
    work_dir: Path
    windows: WindowSettings = field(default_factory=WindowSettings)
    analysis_fps: float = 10.0
    """The analysis rate a camera starts at and returns to when the box has room (frames per second)."""
    min_analysis_fps: float = 2.0
    """The rate is never lowered below this; beyond it, frames are dropped (and recorded)."""
    watchdog_s: float = 20.0
    backoff_max_s: float = 1.0
    coverage_every_s: float = 1.0
    """Coverage is committed this often (seconds): what a ``kill -9`` can lose."""
    model: str = "full"
    quiet_every_n: int = LIVE_QUIET_EVERY_N
    """Adaptive rate: while nothing happens one frame in this many is analysed (1 = every frame)."""
    fill_gaps_s: float = 0.0
    """Short gaps in a track filled up to this long (seconds, :mod:`~etiquette_cv.people.gaps`; files: 1 s). Frames
    are then written this much later, and a ``kill -9`` loses them too: 0 (off) keeps the promise of losing at most
    the last second (with 1 s, a kill lost 1.03 s in one run of ``tests/live/test_watch.py``)."""
    detect_gate_max_skip: int = 0
    """The person detector's periodic runs skipped in a row at most while nothing moves outside the posed people
    (:mod:`~etiquette_cv.people.motion`; 0: off — with 2, ``benchmarks/live.py`` analysed as many frames per camera
    as without, one and four 1080p cameras)."""
    rulebook: Path | None = None
    keep_tracks: bool = False
    """Keep each window's tracks file (in ``work_dir/<camera>/kept``) instead of deleting it once graded."""
    retention_days: float | None = None
    """Delete stored events, kept tracks and evidence keyframes older than this many days (checked hourly); None
    keeps everything."""
    evidence_every_s: float = 1.0
    """Keep one analysed frame in this many seconds, JPEG-compressed in memory, for the findings' evidence
    keyframes (written blurred and masked when a window is graded, in ``work_dir/<camera>/keyframes``); 0: none."""
    run_for_s: float | None = None
    """Stop by itself after this many seconds (benchmarks, tests); None runs until stopped."""
    log_level: str = "INFO"
    """Logging level of camera processes (rate changes and outages are WARNING)."""
    daily: DailyJobSettings | None = None
    """Where and in which time zone the previous day's report is written after midnight (None: not written)."""


@dataclass
class WatchSummary:
    """What one camera's watch did (counts since it started)."""

    camera: str
    frames_decoded: int = 0
    frames_analysed: int = 0
    frames_dropped: int = 0
    windows_graded: int = 0
    events_stored: int = 0
    outages: int = 0
    min_analysis_fps: float = math.inf
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    """Peak resident memory of the process that ran the camera (MB)."""
    streamed_s: float = 0.0
    """Stream time from the first analysed frame to the last (s), outages included."""

    @property
    def analysed_fps(self) -> float:
        """Analysed frames per second of stream time."""
        return self.frames_analysed / self.streamed_s if self.streamed_s > 0 else 0.0

    @property
    def analysed_share(self) -> float:
        """Analysed frames over frames the stream delivered (0–1)."""
        return self.frames_analysed / self.frames_decoded if self.frames_decoded else 0.0


class RateController:
    """Lowers the analysis rate while the analysis is busy more than ``high`` of the time or frames are dropped,
    and raises it back towards the target while it is busy less than ``low`` (every ``every_s`` seconds)."""

    def __init__(self, target_fps: float, min_fps: float, every_s: float = 2.0, high: float = 0.85,
                 low: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.target_fps, self.min_fps = target_fps, min(min_fps, target_fps)
        self.fps = target_fps
        self.every_s, self.high, self.low = every_s, high, low
        self._clock = clock
        self._since = clock()
        self._busy_s = 0.0
        self._dropped0 = 0

    def observe(self, busy_s: float, dropped_total: int) -> float | None:
        """Add ``busy_s`` seconds of analysis; returns the new rate (frames/s) when it changes, else None."""
        self._busy_s += busy_s
        now = self._clock()
        elapsed = now - self._since
        if elapsed < self.every_s:
            return None
        load, dropped = self._busy_s / elapsed, dropped_total - self._dropped0
        self._since, self._busy_s, self._dropped0 = now, 0.0, dropped_total
        new = self.fps
        if load > self.high or dropped > 0:
            new = max(self.min_fps, self.fps * 0.75)
        elif load < self.low and self.fps < self.target_fps:
            new = min(self.target_fps, self.fps * 1.2)
        if abs(new - self.fps) < 1e-9:
            return None
        self.fps = new
        return new


class StoreWriter:
    """The one thread that writes to the store (SQLite connections belong to one thread): batches of events in
    order, each followed by its optional callback once committed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.added = 0
        self.error: str | None = None
        self._jobs: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self.error is not None:
            raise StoreError(self.error)

    def put(self, events: list[StoredEvent], then: Callable[[], None] | None = None) -> None:
        """Queue ``events`` for one transaction; ``then`` runs after it commits."""
        self._jobs.put((events, then))

    def call(self, fn: Callable) -> None:
        """Queue ``fn(store)`` (retention, queries) on the writer's connection."""
        self._jobs.put((fn, None))

    def _run(self) -> None:
        try:
            store = open_store(self.url)
        except StoreError as exc:
            self.error = str(exc)
            return
        finally:
            self._ready.set()
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                what, then = job
                try:
                    if callable(what):
                        what(store)
                    else:
                        self.added += store.add(what)
                    if then is not None:
                        then()
                except Exception as exc:  # noqa: BLE001 - logged, and the watcher keeps analysing
                    self.error = str(exc)
                    log.error("%s", exc)
        finally:
            store.close()

    def close(self) -> None:
        """Commit everything queued, then close the connection."""
        self._jobs.put(None)
        self._thread.join()


@dataclass
class _Job:
    """A window to grade: its frames, the occasions it owns (segment seconds) and the files it makes obsolete."""

    frames: list[FramePoses]
    origin_epoch_s: float
    own_from_s: float
    own_to_s: float
    obsolete: list[Path]
    snapshots: Snapshots | None = None


class _Segment:
    """One unbroken stretch of frames: its people stage, its window files and the frames still needed."""

    def __init__(self, origin_epoch_s: float, watcher: "CameraWatcher", fps: float) -> None:
        self.origin = origin_epoch_s
        self.w = watcher
        self.stage = PeopleStage(watcher.width, watcher.height, fps, watcher.floor, watcher.config)
        self.chooser = AnalysisRate(watcher.width, watcher.height, watcher.floor, watcher.config.rate)
        self.gaps = GapFiller(watcher.config.gaps)
        self.index = 0
        self.end_epoch_s = watcher.settings.windows.window_end_epoch_s(origin_epoch_s)
        self.buffer = WindowBuffer(watcher.settings.windows, self.end_epoch_s - origin_epoch_s)
        self.count = 0
        self.snapshots = Snapshots(watcher.settings.evidence_every_s)
        self.files: list[Path] = []
        self.file_starts_s: list[float] = []
        """Segment seconds from which each of ``files`` holds frames (a file ends where the next one starts)."""
        write_state(watcher.folder, origin_epoch_s, self.buffer.own_from_s)
        self._open_writer()

    def _open_writer(self) -> None:
        path = window_path(self.w.folder, self.origin, self.index)
        self.files.append(path)
        self.file_starts_s.append(self.buffer.frames[-1].timestamp_s if self.buffer.frames else -math.inf)
        header = TracksHeader(source=self.w.cam.camera, image_width=self.w.width, image_height=self.w.height,
                              nominal_fps=self.w.source.nominal_fps, analysis_fps=self.w.rate.fps,
                              model=str(self.w.config.model), model_sha256=self.w.model_sha256,
                              detector=self.w.config.detector, calibration=self.w.cal.source,
                              start_epoch_s=self.origin)
        self.writer = TracksWriter(path, header)

    def _write(self, frames: list[FramePoses]) -> None:
        for f in frames:
            self.writer.write_frame(f)
            self.buffer.add(f)

    def add(self, frame: LiveFrame) -> bool:
        """Analyse one frame (people stage) and write it to the window's tracks; False when the adaptive rate
        (:mod:`..people.rate`) skipped it because nothing is happening."""
        t_s = frame.epoch_s - self.origin
        if not self.chooser.should_analyse(frame.image, t_s):
            return False
        poses = self.stage.process(Frame(index=self.count, timestamp_s=t_s, image=frame.image),
                                   quiet=self.chooser.quiet)
        self.chooser.observe(frame.image, poses)
        self.count += 1
        self._write(self.gaps.push(poses))
        if self.w.settings.evidence_every_s > 0:
            self.snapshots.add(t_s, frame.image)
        return True

    def close_window(self, final: bool, problem: str | None = None, next_epoch_s: float | None = None) -> _Job:
        """Close the current window's file; the grading job for it (``final``: the segment ends here). The next
        window is the one holding ``next_epoch_s`` (a stall may skip whole windows)."""
        self._write(self.gaps.flush())   # a gap across the window's end stays unfilled
        self.writer.close(TracksFooter(self.count, self.count, complete=problem is None, problem=problem))
        windows = self.w.settings.windows
        next_end = None if final else windows.window_end_epoch_s(max(next_epoch_s or 0.0, self.end_epoch_s))
        # a visit still open is left to a later window, which sees it whole
        open_start = None if final else open_visit_start_s(list(self.buffer.frames), self.w.cal,
                                                           self.w.camera_model, self.w.rulebook)
        cut = self.buffer.close(final, None if next_end is None else next_end - self.origin, open_start)
        # the files the next window no longer needs: those that end before the frames it keeps
        done = [] if final else [i for i in range(len(self.files) - 1)
                                 if self.file_starts_s[i + 1] < self.buffer.keep_from_s]
        job = _Job(cut.frames, self.origin, cut.own_from_s, cut.own_to_s,
                   list(self.files) if final else [self.files[i] for i in done])
        if cut.frames:
            job.snapshots = self.snapshots.between(cut.frames[0].timestamp_s, cut.frames[-1].timestamp_s)
        if not final:
            self.snapshots.drop_before(self.buffer.keep_from_s)
        if final:
            self.stage.close()
            return job
        self.files = [f for i, f in enumerate(self.files) if i not in done]
        self.file_starts_s = [t for i, t in enumerate(self.file_starts_s) if i not in done]
        self.index += 1
        self.end_epoch_s = next_end
        self._open_writer()
        return job


class CameraWatcher:
    """Watches one camera until stopped (module docstring)."""

    def __init__(self, cam: CameraFile, settings: WatchSettings, source: LiveSource | None = None) -> None:
        self.cam, self.settings = cam, settings
        self.source = source or LiveSource(cam.source, LiveSettings(
            analysis_fps=cam.analysis_fps or settings.analysis_fps, watchdog_s=settings.watchdog_s,
            backoff_max_s=settings.backoff_max_s, loop=cam.loop))
        self.width, self.height = self.source.width, self.source.height
        self.cal: Calibration = load_camera_calibration(cam, self.width, self.height)
        self.camera_model: CameraModel = solve_camera(self.cal)
        self.rulebook: Rulebook = load_rulebook(settings.rulebook)
        self.config = PeopleConfig(model=settings.model, rate=RateSettings(quiet_every_n=settings.quiet_every_n),
                                   detect_gate=MotionGateSettings(max_skip_frames=settings.detect_gate_max_skip),
                                   gaps=GapSettings(max_gap_s=settings.fill_gaps_s))
        self.floor = floor_model_for(self.cal, self.config.roles)
        self.model_sha256 = pose_model_sha256(resolve_pose_model(settings.model))
        self.folder = Path(settings.work_dir) / _safe(cam.branch) / _safe(cam.camera)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rate = RateController(self.source.analysis_fps, settings.min_analysis_fps)
        self.summary = WatchSummary(cam.camera)
        self._jobs: queue.Queue = queue.Queue()
        self._writer: StoreWriter | None = None
        self._first_epoch_s: float | None = None
        self._dropped_logged, self._drop_log_mono = 0, time.monotonic()

    # -- events -------------------------------------------------------------------------------------------------
    def _span(self, kind: str, start: float, end: float, reason: str = "", **payload) -> None:
        if end > start:
            self._writer.put([span_event(kind, branch=self.cam.branch, camera=self.cam.camera, start_epoch_s=start,
                                         end_epoch_s=end, reason=reason, **payload)])

    def _grade_loop(self) -> None:
        """The grading thread: grades queued windows, stores their events, then moves the state on."""
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._grade(job)
            except Exception as exc:  # noqa: BLE001 - one bad window must not stop the camera
                log.exception("%s: grading a window failed: %s", self.cam.camera, exc)

    def _grade(self, job: _Job) -> None:
        if not job.frames or job.own_to_s <= job.own_from_s:  # nothing to store (an open visit holds it back)
            self._writer.put([], then=lambda: self._retire(job))
            return
        result = grade_frames(job.frames, self.cal, self.camera_model, self.rulebook, self.cam.camera)
        self._write_evidence(result, job)
        events = events_from_review(result, branch=self.cam.branch, camera=self.cam.camera,
                                    origin_epoch_s=job.origin_epoch_s, own_from_s=job.own_from_s,
                                    own_to_s=job.own_to_s)
        self.summary.windows_graded += 1
        self.summary.events_stored += len(events)
        log.info("%s: window graded: %d frames, %d events stored", self.cam.camera, len(job.frames), len(events))
        self._writer.put(events, then=lambda: self._retire(job))

    def _write_evidence(self, result, job: _Job) -> None:
        """The evidence keyframe of every finding this window owns, from the snapshot nearest its evidence time:
        faces blurred, privacy masks covered (:func:`~etiquette_cv.report.evidence.write_evidence_image`)."""
        if job.snapshots is None or not len(job.snapshots):
            return
        times = [f.timestamp_s for f in job.frames]
        for n, f in enumerate(result.findings):
            if f.evidence_t_s is None or not job.own_from_s <= f.start_s < job.own_to_s:
                continue
            snap = job.snapshots.nearest(f.evidence_t_s, 1.5 * self.settings.evidence_every_s)
            if snap is None:
                continue
            t, image = snap
            poses = job.frames[min(range(len(times)), key=lambda k: abs(times[k] - t))]
            name = f"{job.origin_epoch_s + f.evidence_t_s:.1f}_{n:03d}_{_safe(f.rule_id)}.jpg"
            write_evidence_image(image, poses, f, result, self.camera_model, self.cal, self.rulebook.near_m,
                                 self.folder / "keyframes" / name)

    def _retire(self, job: _Job) -> None:
        """After a window's events are committed: record how far the segment is stored, drop obsolete files."""
        if math.isinf(job.own_to_s):
            job.obsolete.append(state_path(self.folder, job.origin_epoch_s))
        else:
            write_state(self.folder, job.origin_epoch_s, job.own_to_s)
        if self.settings.keep_tracks:
            kept = self.folder / "kept"
            kept.mkdir(exist_ok=True)
            for p in job.obsolete:
                if p.exists() and p.suffix == ".jsonl":  # kept compressed (about a tenth of the size)
                    with open(p, "rb") as src, gzip.open(kept / (p.name + ".gz"), "wb") as dst:
                        shutil.copyfileobj(src, dst)
        remove_files(job.obsolete)

    def _recover(self) -> float:
        """Grade what a previous run left behind (its frames after the last committed coverage become coverage,
        recovered); returns the latest time (epoch s) that run covered, or -inf for a camera never watched."""
        found: list[float] = []
        since = self.source.now_epoch_s() - 2 * 86400.0

        def last_coverage(store) -> None:
            spans = store.events(branch=self.cam.branch, camera=self.cam.camera, kinds=["coverage", "gap"],
                                 start_epoch_s=since)
            found.extend(e.end_epoch_s for e in spans if e.end_epoch_s is not None)

        done = threading.Event()
        self._writer.call(last_coverage)
        self._writer.call(lambda _store: done.set())
        done.wait(60.0)
        latest = max(found, default=-math.inf)
        for left in leftover_segments(self.folder):
            frames = left.tracks.frames
            log.warning("%s: grading %d frames a previous run left unstored", self.cam.camera, len(frames))
            if frames and left.last_epoch_s > latest:
                first = max(latest, left.origin_epoch_s + frames[0].timestamp_s)
                self._span("coverage", first, left.last_epoch_s, "recovered from a killed run's tracks",
                           frames_analysed=sum(left.origin_epoch_s + f.timestamp_s > first for f in frames))
                latest = left.last_epoch_s
            self._jobs.put(_Job(frames, left.origin_epoch_s, left.stored_until_s, math.inf, left.files))
        return latest

    # -- the loop -----------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> WatchSummary:
        """Watch until ``stop`` is set (or ``run_for_s`` passes, or a file played once ends); returns counts."""
        t0 = time.monotonic()
        self._writer = StoreWriter(self.settings.store)
        timer = None
        if self.settings.run_for_s is not None:
            timer = threading.Timer(self.settings.run_for_s, stop.set)
            timer.daemon = True
            timer.start()
        grader = threading.Thread(target=self._grade_loop, name="grader", daemon=True)
        grader.start()
        try:
            self._loop(stop, self._recover())
        finally:  # whatever stopped the loop, what was graded and queued is committed
            if timer is not None:
                timer.cancel()
            self._jobs.put(None)
            grader.join()
            self._writer.close()
        self.summary.wall_s = time.monotonic() - t0
        st = self.source.stats
        self.summary.frames_decoded, self.summary.frames_dropped = st.frames_decoded, st.frames_dropped
        self.summary.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        return self.summary

    def _loop(self, stop: threading.Event, not_running_from: float) -> None:
        seg: _Segment | None = None
        cov = _Coverage()
        down: OutageStarted | None = None
        last_retention = -math.inf
        for item in self.source.items(stop):
            if isinstance(item, LiveFrame):
                if not math.isinf(not_running_from):
                    self._span("gap", not_running_from, item.epoch_s, NOT_RUNNING)
                    not_running_from = -math.inf
                seg = self._on_frame(item, seg, cov)
            elif isinstance(item, OutageStarted):
                down = item
                log.warning("%s: stream lost: %s", self.cam.camera, item.reason)
                self._flush_coverage(cov, force=True)
                if seg is not None:
                    self._jobs.put(seg.close_window(final=True, problem=item.reason))
                    seg = None
                if not math.isinf(not_running_from):
                    self._span("gap", not_running_from, item.start_epoch_s, NOT_RUNNING)
                    not_running_from = -math.inf
            elif isinstance(item, Outage):
                down = None
                self.summary.outages += 1
                log.warning("%s: stream back after %.1f s", self.cam.camera, item.duration_s)
                self._span("gap", item.start_epoch_s, item.end_epoch_s, item.reason)
            elif isinstance(item, SourceEnded):
                break
            if self.settings.retention_days is not None and time.monotonic() - last_retention > 3600.0:
                last_retention = time.monotonic()
                self._apply_retention()
        self._flush_coverage(cov, force=True)
        if seg is not None:
            self._jobs.put(seg.close_window(final=True, problem="the watcher was stopped"))
        if down is not None:
            self._span("gap", down.start_epoch_s, self.source.now_epoch_s(),
                       down.reason + " (still down when the watcher stopped)")

    def _on_frame(self, frame: LiveFrame, seg: _Segment | None, cov: "_Coverage") -> _Segment:
        """One frame: a new segment or window when due, the people stage, coverage, the analysis rate."""
        t = time.perf_counter()
        if seg is None:
            seg = _Segment(frame.epoch_s, self, self.rate.fps)
            cov.start(frame.epoch_s, self.source.stats.frames_decoded, self.source.stats.frames_dropped)
        elif frame.epoch_s >= seg.end_epoch_s:
            self._jobs.put(seg.close_window(final=False, next_epoch_s=frame.epoch_s))
        analysed = seg.add(frame)
        self.summary.frames_analysed += int(analysed)
        if self._first_epoch_s is None:
            self._first_epoch_s = frame.epoch_s
        self.summary.streamed_s = frame.epoch_s - self._first_epoch_s
        cov.frame(frame.epoch_s, analysed)
        self._flush_coverage(cov)
        new = self.rate.observe(time.perf_counter() - t, self.source.stats.frames_dropped)
        self.summary.min_analysis_fps = min(self.summary.min_analysis_fps, self.rate.fps)
        if new is not None:
            self.source.set_analysis_fps(new)
            at_floor = " (the minimum: frames are dropped)" if new <= self.rate.min_fps else ""
            log.warning("%s: analysis rate now %.1f frames/s%s", self.cam.camera, new, at_floor)
        dropped = self.source.stats.frames_dropped
        if dropped > self._dropped_logged and time.monotonic() - self._drop_log_mono > 60.0:
            log.warning("%s: %d frames dropped since the last report (the box cannot keep up at %.1f frames/s)",
                        self.cam.camera, dropped - self._dropped_logged, self.rate.fps)
            self._dropped_logged, self._drop_log_mono = dropped, time.monotonic()
        return seg

    def _flush_coverage(self, cov: "_Coverage", force: bool = False) -> None:
        if cov.start_epoch_s is None or cov.last_epoch_s is None:
            return
        if not force and cov.last_epoch_s - cov.start_epoch_s < self.settings.coverage_every_s:
            return
        st = self.source.stats
        self._span("coverage", cov.start_epoch_s, cov.last_epoch_s, analysis_fps=round(self.rate.fps, 3),
                   frames_analysed=cov.frames, frames_decoded=st.frames_decoded - cov.decoded0,
                   frames_dropped=st.frames_dropped - cov.dropped0,
                   rate_lowered=self.rate.fps < self.rate.target_fps)
        cov.start(cov.last_epoch_s, st.frames_decoded, st.frames_dropped)
        if force:
            cov.start_epoch_s = None

    def _apply_retention(self) -> None:
        cutoff = self.source.now_epoch_s() - self.settings.retention_days * 86400.0
        self._writer.call(lambda store: store.delete_before(cutoff))
        for p in [*(self.folder / "kept").glob("*.jsonl.gz"), *(self.folder / "keyframes").glob("*.jpg")]:
            if p.stat().st_mtime < cutoff:
                p.unlink()


@dataclass
class _Coverage:
    """The coverage span being accumulated (epoch s) and the counters at its start."""

    start_epoch_s: float | None = None
    last_epoch_s: float | None = None
    frames: int = 0
    decoded0: int = 0
    dropped0: int = 0

    def start(self, epoch_s: float, decoded0: int = 0, dropped0: int = 0) -> None:
        """Begin a span at ``epoch_s``."""
        self.start_epoch_s, self.last_epoch_s, self.frames = epoch_s, epoch_s, 0
        self.decoded0, self.dropped0 = decoded0, dropped0

    def frame(self, epoch_s: float, analysed: bool = True) -> None:
        """A frame at ``epoch_s``, analysed or skipped by the adaptive rate (covered either way: it was looked
        at)."""
        self.last_epoch_s = epoch_s
        self.frames += int(analysed)


def _safe(name: str) -> str:
    """A name usable as one folder name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "_"
