"""Video source: files, camera indexes and stream URLs through one interface.

Frames carry the presentation time the container gives them (not index × nominal fps), are sampled at the
analysis rate the caller chooses, and are decoded on a background thread (OpenCV releases the GIL while it
decodes, so decoding runs on the second core beside inference). The whole video is never held in memory: at most
``queue_size`` decoded frames wait for the consumer.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2

from ..core import Frame

STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")


class VideoError(Exception):
    """A video cannot be opened or read; the message names the source and the problem."""


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video before decoding."""

    source: str
    width: int
    height: int
    nominal_fps: float
    """Frame rate the container announces (may be 0 or wrong for live streams and variable-rate files)."""
    frame_count: int | None
    """Frames the container announces, or None when unknown (live streams)."""
    is_live: bool

    @property
    def duration_s(self) -> float | None:
        """Announced duration in seconds, or None when unknown."""
        if self.frame_count is None or self.nominal_fps <= 0:
            return None
        return self.frame_count / self.nominal_fps


@dataclass
class ReadReport:
    """What happened while reading: how many frames were decoded and analysed and why reading stopped."""

    frames_decoded: int = 0
    frames_yielded: int = 0
    last_timestamp_s: float = 0.0
    problem: str | None = None
    """None when the video was read to its end; otherwise a one-line description (truncated file, dropped stream)."""

    @property
    def complete(self) -> bool:
        """True when the whole video was read without a problem."""
        return self.problem is None


def _describe(source: str | int) -> str:
    return f"camera {source}" if isinstance(source, int) else str(source)


def _is_live(source: str | int) -> bool:
    return isinstance(source, int) or str(source).lower().startswith(STREAM_PREFIXES)


def parse_source(text: str) -> str | int:
    """A CLI source argument as OpenCV wants it: an all-digit string is a camera index, anything else a path/URL."""
    return int(text) if text.isdigit() else text


def capture_size_fps(cap, name: str, no_frame: str) -> tuple[int, int, float]:
    """(width, height in pixels, frames per second) an opened OpenCV capture reports: a frame is decoded when it
    reports no size (some streams and codecs), and the rate is 0.0 when it reports none. A capture that decodes no
    frame raises :class:`VideoError` with ``name`` and ``no_frame`` (what to tell the user)."""
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if width <= 0 or height <= 0:
        ok, image = cap.read()
        if not ok or image is None:
            raise VideoError(f"{name}: {no_frame}")
        height, width = image.shape[:2]
    return width, height, fps if math.isfinite(fps) and fps > 0 else 0.0


class VideoSource:
    """Decoded frames of a video file, camera or stream, sampled at ``analysis_fps`` frames per second.

    Iterate to get :class:`Frame` objects in time order. Sampling keeps the first frame whose container timestamp
    reaches each tick of a grid spaced ``1 / analysis_fps`` seconds apart, so a variable-frame-rate file is sampled
    by time, not by index. ``analysis_fps=None`` keeps every frame. After iteration :attr:`report` says whether
    the video was read to its end.
    """

    def __init__(
        self,
        source: str | int | Path,
        analysis_fps: float | None = 10.0,
        start_s: float = 0.0,
        end_s: float | None = None,
        queue_size: int = 8,
        reconnect_attempts: int = 3,
    ) -> None:
        if isinstance(source, Path):
            source = str(source)
        self.source = source
        self.name = _describe(source)
        if analysis_fps is not None and not (analysis_fps > 0 and math.isfinite(analysis_fps)):
            raise VideoError(f"{self.name}: analysis rate must be a positive number of frames per second, got {analysis_fps}")
        self.analysis_fps = analysis_fps
        self.start_s = max(0.0, float(start_s))
        self.end_s = end_s
        self.queue_size = queue_size
        self.reconnect_attempts = reconnect_attempts
        self.report = ReadReport()
        self.info = self._probe()

    # -- opening ------------------------------------------------------------------------------------------------
    def _open(self) -> cv2.VideoCapture:
        if not _is_live(self.source):
            path = Path(str(self.source))
            if not path.exists():
                raise VideoError(f"{self.name}: no such file")
            if path.is_dir():
                raise VideoError(f"{self.name}: is a directory, not a video file")
            if path.stat().st_size == 0:
                raise VideoError(f"{self.name}: empty file (0 bytes)")
        cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            what = "cannot open the stream or camera" if _is_live(self.source) else (
                "not a video OpenCV can decode (unknown container or codec, or the file is damaged)"
            )
            raise VideoError(f"{self.name}: {what}")
        return cap

    def _probe(self) -> VideoInfo:
        cap = self._open()
        try:
            live = _is_live(self.source)
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            frame_count = None if live or count <= 0 else count
            width, height, fps = capture_size_fps(cap, self.name,
                                                  "no decodable frame (unreadable codec or zero-length video)")
        finally:
            cap.release()
        return VideoInfo(self.name, width, height, fps, frame_count, live)

    # -- decoding -----------------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Frame]:
        frames: queue.Queue = queue.Queue(maxsize=self.queue_size)
        stop = threading.Event()
        worker = threading.Thread(target=self._decode_loop, args=(frames, stop), name="video-decode", daemon=True)
        worker.start()
        try:
            while True:
                item = frames.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                self.report.frames_yielded += 1
                yield item
        finally:
            stop.set()
            # Drain so the decoder is not blocked on a full queue, then let it finish.
            while worker.is_alive():
                try:
                    frames.get(timeout=0.05)
                except queue.Empty:
                    pass
            worker.join()

    def _decode_loop(self, out: queue.Queue, stop: threading.Event) -> None:
        def put(item) -> bool:
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        try:
            self._decode_into(put, stop)
        except BaseException as exc:  # handed to the consumer thread, which raises it
            put(exc)
            return
        put(None)

    def _decode_into(self, put, stop: threading.Event) -> None:
        cap = self._open()
        live = self.info.is_live
        period = None if self.analysis_fps is None else 1.0 / self.analysis_fps
        next_due = self.start_s
        last_ts = -math.inf
        wall_start = time.monotonic()
        failures = 0
        index = -1
        try:
            if self.start_s > 0 and not live:
                cap.set(cv2.CAP_PROP_POS_MSEC, self.start_s * 1000.0)
                index = int(cap.get(cv2.CAP_PROP_POS_FRAMES)) - 1
            while not stop.is_set():
                if not cap.grab():
                    if live and failures < self.reconnect_attempts:
                        failures += 1
                        cap.release()
                        time.sleep(0.5 * failures)
                        cap = cv2.VideoCapture(self.source)
                        continue
                    self._finish(index, live, failures)
                    return
                failures = 0
                index += 1
                self.report.frames_decoded += 1
                if live:
                    ts = time.monotonic() - wall_start
                else:
                    ts = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                    if not math.isfinite(ts) or ts < 0:
                        ts = last_ts + (1.0 / self.info.nominal_fps if self.info.nominal_fps > 0 else 0.04)
                # Repeated or backwards timestamps (broken muxers, some streams) are nudged forward so that
                # every frame handed on has a strictly later time than the one before.
                if ts <= last_ts:
                    ts = last_ts + 1e-3
                last_ts = ts
                self.report.last_timestamp_s = ts
                if self.end_s is not None and ts > self.end_s:
                    return
                if ts < self.start_s - 1e-6:
                    continue
                if period is not None:
                    if ts + 1e-6 < next_due:
                        continue
                    # Advance to the first grid tick after this frame: missing frames do not cause a burst.
                    next_due += period * (math.floor((ts - next_due) / period + 1e-9) + 1)
                ok, image = cap.retrieve()
                if not ok or image is None:
                    self.report.problem = f"{self.name}: frame {index} at {ts:.2f} s could not be decoded"
                    return
                if not put(Frame(index=index, timestamp_s=ts, image=image)):
                    return
        finally:
            cap.release()

    def _finish(self, last_index: int, live: bool, failures: int) -> None:
        decoded = self.report.frames_decoded
        if live:
            self.report.problem = (
                f"{self.name}: stream stopped after {self.report.last_timestamp_s:.1f} s "
                f"({failures} reconnect attempt(s) failed)"
            )
            return
        if decoded == 0:
            raise VideoError(f"{self.name}: no decodable frame (zero-length video, truncated file or unreadable codec)")
        duration = self.info.duration_s
        period = 1.0 / self.info.nominal_fps if self.info.nominal_fps > 0 else 0.0
        # Containers estimate their frame count (duration × nominal rate, so variable-rate files are over-counted);
        # time is the reliable yardstick: a file whose last decoded frame is several periods short of the
        # announced duration ended early (truncated download, interrupted recording).
        if duration is not None and self.end_s is None and self.report.last_timestamp_s + 3 * period < duration - 0.05:
            self.report.problem = (
                f"{self.name}: truncated or damaged: decoding stopped at {self.report.last_timestamp_s:.2f} s "
                f"(frame {last_index + 1}) of an announced {duration:.2f} s"
            )
