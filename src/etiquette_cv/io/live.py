"""A live source that always comes back: RTSP/HTTP streams, camera devices, or a file played as live.

Frames carry wall-clock timestamps (seconds since the Unix epoch, from a monotonic clock anchored once, so that a
clock step never makes time run backwards). The source never ends on its own (except a file played once): when the
stream drops, or a decoder delivers no frame for ``watchdog_s`` seconds, the capture is abandoned and reopened with
paced exponential back-off (``backoff_first_s`` doubling up to ``backoff_max_s``), and each outage is reported as an
:class:`Outage` (from the last frame before it to the first frame after it) — a span of no coverage, for the caller
to record as such.

Decoding runs on a thread per connection (a *generation*): a decoder stuck in a read that never returns is simply
abandoned by the supervisor and left to die, so a hung camera cannot hang the watcher. The consumer gets frames
through a short "latest wins" buffer: when it cannot keep up, the oldest waiting frame is dropped and counted
(:attr:`LiveStats.frames_dropped`) — the consumer never falls further behind real time.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union

import cv2
import numpy as np

from .video import VideoError, _describe, _is_live, capture_size_fps


@dataclass(frozen=True)
class LiveSettings:
    """How a live source samples, watches and reconnects."""

    analysis_fps: float = 10.0
    """Frames handed on per second of stream time (the sampling grid); the caller may lower it while running."""
    watchdog_s: float = 20.0
    """A connection that delivers no frame for this long is abandoned and reopened (Frigate uses 20 s)."""
    backoff_first_s: float = 0.25
    backoff_max_s: float = 1.0
    """Reconnection attempts wait ``backoff_first_s``, then twice as long each time, at most ``backoff_max_s``: the
    cap bounds how late after the camera returns its outage is closed (the gap's accuracy)."""
    open_timeout_s: float = 10.0
    """Opening a stream (connect + probe) gives up after this long (FFmpeg streams)."""
    loop: bool = False
    """A file played as live starts again at its end instead of ending the source."""
    queue_size: int = 2
    """Frames waiting for the consumer; when full, the oldest is dropped."""

    def __post_init__(self) -> None:
        for name in ("analysis_fps", "watchdog_s", "backoff_first_s", "backoff_max_s", "open_timeout_s"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"live settings: {name} must be a positive number of seconds/frames, got {value}")
        if self.queue_size < 1:
            raise ValueError(f"live settings: queue_size must be at least 1, got {self.queue_size}")


@dataclass(frozen=True)
class LiveFrame:
    """One sampled frame: its wall-clock time (epoch s), the image (BGR) and the connection it came from."""

    epoch_s: float
    image: np.ndarray
    connection: int


@dataclass(frozen=True)
class OutageStarted:
    """The stream was lost at ``start_epoch_s`` (the last frame's time); frames stop until an :class:`Outage`."""

    start_epoch_s: float
    reason: str


@dataclass(frozen=True)
class Outage:
    """A closed span with no frames: from the last frame before the loss to the first frame after it (epoch s)."""

    start_epoch_s: float
    end_epoch_s: float
    reason: str

    @property
    def duration_s(self) -> float:
        """Length of the outage in seconds."""
        return self.end_epoch_s - self.start_epoch_s


@dataclass(frozen=True)
class SourceEnded:
    """A file played once reached its end (live streams never end)."""

    epoch_s: float


LiveItem = Union[LiveFrame, OutageStarted, Outage, SourceEnded]


@dataclass
class LiveStats:
    """Counters of a live source (read by the watcher for its coverage records)."""

    frames_decoded: int = 0
    """Frames the stream delivered (before sampling)."""
    frames_sampled: int = 0
    """Frames on the sampling grid, handed to the buffer."""
    frames_dropped: int = 0
    """Sampled frames dropped because the consumer was busy."""
    connections: int = 0
    outages: int = 0


@dataclass
class _Generation:
    """One connection's decoding thread and what it saw."""

    number: int
    last_frame_mono: float
    abandoned: bool = False
    reason: str | None = None
    ended: bool = False
    got_frame: bool = False
    done: threading.Event = field(default_factory=threading.Event)


class LiveSource:
    """A camera, stream or file as an endless sequence of :data:`LiveItem` (module docstring).

    Construct to check the source once (an unreachable source at start raises :class:`VideoError`), then iterate
    :meth:`items` until the stop event is set.
    """

    def __init__(self, source: str | int | Path, settings: LiveSettings | None = None) -> None:
        self.source: str | int = str(source) if isinstance(source, Path) else source
        self.name = _describe(self.source)
        self.settings = settings or LiveSettings()
        self.is_file = not _is_live(self.source)
        self.analysis_fps = self.settings.analysis_fps
        self.stats = LiveStats()
        self._mono0 = time.monotonic()
        self._epoch0 = time.time()
        self._cond = threading.Condition()
        self._items: deque = deque()
        self._generation = 0
        self.width, self.height, self.nominal_fps = self._probe()

    # -- time -----------------------------------------------------------------------------------------------------
    def now_epoch_s(self) -> float:
        """Wall-clock time now (epoch s) on the source's monotonic clock."""
        return self._epoch0 + (time.monotonic() - self._mono0)

    def set_analysis_fps(self, fps: float) -> None:
        """Change the sampling rate (frames per second) while running."""
        if fps > 0 and math.isfinite(fps):
            self.analysis_fps = float(fps)

    # -- opening --------------------------------------------------------------------------------------------------
    def _capture(self) -> cv2.VideoCapture | None:
        if self.is_file:
            path = Path(str(self.source))
            if not path.is_file() or path.stat().st_size == 0:
                return None
            cap = cv2.VideoCapture(str(path))
        elif isinstance(self.source, int):
            cap = cv2.VideoCapture(self.source)
        else:
            ms = int(self.settings.open_timeout_s * 1000)
            # FFmpeg's own read timeout, after the watchdog's: the watchdog decides; this only ends the abandoned
            # decoder's thread.
            read_ms = int(2 * self.settings.watchdog_s * 1000)
            cap = cv2.VideoCapture(self.source, cv2.CAP_FFMPEG,
                                   [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, read_ms])
        if not cap.isOpened():
            cap.release()
            return None
        return cap

    def _probe(self) -> tuple[int, int, float]:
        if self.is_file and not Path(str(self.source)).is_file():
            raise VideoError(f"{self.name}: no such file")
        cap = self._capture()
        if cap is None:
            what = "not a video OpenCV can decode" if self.is_file else "cannot open the stream or camera"
            raise VideoError(f"{self.name}: {what}")
        try:
            return capture_size_fps(cap, self.name, "opened, but no frame could be decoded")
        finally:
            cap.release()

    # -- the consumer's side --------------------------------------------------------------------------------------
    def items(self, stop: threading.Event) -> Iterator[LiveItem]:
        """Frames and outage notes in time order until ``stop`` is set (or a file played once ends)."""
        halt = _Either(stop, threading.Event())  # ends this source's threads without stopping the caller's others
        supervisor = threading.Thread(target=self._supervise, args=(halt,), name=f"live-{self.name}", daemon=True)
        supervisor.start()
        try:
            while not stop.is_set():
                with self._cond:
                    if not self._items:
                        self._cond.wait(0.1)
                    item = self._items.popleft() if self._items else None
                if item is None:
                    continue
                yield item
                if isinstance(item, SourceEnded):
                    return
        finally:
            halt.own.set()
            supervisor.join(timeout=5.0)

    def _push(self, item: LiveItem, gen: _Generation | None = None) -> bool:
        with self._cond:
            if gen is not None and (gen.abandoned or gen.number != self._generation):
                return False
            if isinstance(item, LiveFrame):
                waiting = [i for i in self._items if isinstance(i, LiveFrame)]
                if len(waiting) >= self.settings.queue_size:
                    self._items.remove(waiting[0])
                    self.stats.frames_dropped += 1
            self._items.append(item)
            self._cond.notify()
        return True

    # -- the supervisor: connect, watch, reconnect ----------------------------------------------------------------
    def _supervise(self, stop: _Either) -> None:
        attempt = 0
        lost: OutageStarted | None = None  # the outage in progress, closed by the first frame after it
        while not stop.is_set():
            cap = self._capture()
            if cap is not None:
                self.stats.connections += 1
                with self._cond:
                    self._generation += 1
                    gen = _Generation(self._generation, time.monotonic())
                threading.Thread(target=self._decode, args=(cap, gen, lost, stop), daemon=True,
                                 name=f"decode-{self.name}-{gen.number}").start()
                reason = self._watch(gen, stop)
                if gen.ended:
                    self._push(SourceEnded(self.now_epoch_s()))
                    return
                if stop.is_set():
                    return
                if gen.got_frame:
                    attempt = 0
                    lost = OutageStarted(self._epoch0 + (gen.last_frame_mono - self._mono0), reason)
                    self.stats.outages += 1
                    self._push(lost)
                    continue  # the first attempt after a drop is immediate
            if lost is None:
                lost = OutageStarted(self.now_epoch_s(), f"{self.name}: cannot open the stream or no frame from it")
                self.stats.outages += 1
                self._push(lost)
            stop.wait(min(self.settings.backoff_first_s * 2 ** attempt, self.settings.backoff_max_s))
            attempt += 1

    def _watch(self, gen: _Generation, stop: _Either) -> str:
        """Wait until the connection ends or stalls; returns why it was given up."""
        while not stop.is_set():
            if gen.done.wait(0.1):
                return gen.reason or f"{self.name}: the stream ended"
            if time.monotonic() - gen.last_frame_mono > self.settings.watchdog_s:
                with self._cond:
                    gen.abandoned = True
                return f"{self.name}: no frame for {self.settings.watchdog_s:g} s (watchdog restarted the decoder)"
        with self._cond:
            gen.abandoned = True
        return "stopped"

    def _decode(self, cap: cv2.VideoCapture, gen: _Generation, lost: OutageStarted | None,
                stop: _Either) -> None:
        """One connection: grab frames, sample them on the time grid, pace a file to real time, loop it."""
        pending = lost
        due = -math.inf
        pace = _FilePacer(time.monotonic()) if self.is_file else None
        try:
            while not stop.is_set() and not gen.abandoned:
                if not cap.grab():
                    if pace is not None and self.settings.loop and pace.frames_in_pass > 0:
                        cap.release()
                        cap = cv2.VideoCapture(str(self.source))
                        pace.restart()
                        continue
                    gen.ended = pace is not None and not self.settings.loop and pace.frames_in_pass > 0
                    gen.reason = f"{self.name}: the stream ended or dropped"
                    return
                if pace is not None and not pace.wait(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0, stop):
                    return
                mono = time.monotonic()
                epoch = self._epoch0 + (mono - self._mono0)
                gen.last_frame_mono = mono
                gen.got_frame = True
                self.stats.frames_decoded += 1
                if pending is not None:
                    if not self._push(Outage(pending.start_epoch_s, epoch, pending.reason), gen):
                        return
                    pending = None
                period = 1.0 / self.analysis_fps
                # a frame up to a quarter period early is on time (arrival times jitter; the grid must not alias)
                if epoch < due - 0.25 * period:
                    continue
                due = epoch + period if due == -math.inf else \
                    due + period * (max(0, math.floor((epoch - due) / period)) + 1)
                ok, image = cap.retrieve()
                if not ok or image is None:
                    continue
                self.stats.frames_sampled += 1
                if not self._push(LiveFrame(epoch, image, gen.number), gen):
                    return
        finally:
            cap.release()
            gen.done.set()


class _Either:
    """Set when the caller's event or this source's own is set (the subset of ``threading.Event`` the threads
    use)."""

    def __init__(self, caller: threading.Event, own: threading.Event) -> None:
        self.caller, self.own = caller, own

    def is_set(self) -> bool:
        """True once either event is set."""
        return self.caller.is_set() or self.own.is_set()

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to ``timeout_s`` seconds, waking within 50 ms of either event; True when one is set."""
        deadline = time.monotonic() + timeout_s
        while not self.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.own.wait(min(left, 0.05))
        return True


class _FilePacer:
    """Plays a file in real time: waits until each frame's presentation time has come on the wall clock, with the
    time of earlier passes added when looping."""

    def __init__(self, start_mono: float) -> None:
        self.start_mono = start_mono
        self.offset_s = 0.0
        self.last_pts_s = 0.0
        self.frames_in_pass = 0
        self.period_s = 0.04

    def restart(self) -> None:
        """The file starts again: later frames come after the last one of this pass."""
        self.offset_s += self.last_pts_s + self.period_s
        self.last_pts_s = 0.0
        self.frames_in_pass = 0

    def wait(self, pts_s: float, stop: _Either) -> bool:
        """Sleep until the frame at ``pts_s`` (file seconds) is due; False when stopped meanwhile."""
        if not math.isfinite(pts_s) or pts_s < self.last_pts_s:
            pts_s = self.last_pts_s + self.period_s
        if self.frames_in_pass > 0 and pts_s > self.last_pts_s:
            self.period_s = min(pts_s - self.last_pts_s, 1.0)
        self.last_pts_s = pts_s
        self.frames_in_pass += 1
        delay = self.start_mono + self.offset_s + pts_s - time.monotonic()
        return not (delay > 0 and stop.wait(delay))
