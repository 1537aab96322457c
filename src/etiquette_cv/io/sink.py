"""Writing frames to a video file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np


class VideoSink:
    """Writes annotated frames to a video file: H.264 in MP4 through PyAV (plays in browsers), or OpenCV's MPEG-4
    Part 2 when PyAV cannot encode H.264 here."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int, crf: int = 26) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.codec = None
        self._container = self._stream = self._writer = None
        try:
            import av

            self._container = av.open(str(self.path), "w")
            rate = Fraction(fps).limit_denominator(1001)
            self._stream = self._container.add_stream("libx264", rate=rate)
            self._stream.width, self._stream.height = width - width % 2, height - height % 2
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": str(crf), "preset": "veryfast", "movflags": "+faststart"}
            self.codec = "h264"
        except Exception:  # no PyAV or no libx264 in it: fall back to OpenCV
            if self._container is not None:
                self._container.close()
            self._container = self._stream = None
            writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
            if not writer.isOpened():
                raise OSError(f"{self.path}: no video encoder available for this file type") from None
            self._writer, self.codec = writer, "mp4v"

    def write(self, image: np.ndarray) -> None:
        """Append one BGR frame."""
        if self._writer is not None:
            self._writer.write(image)
            return
        import av

        h, w = self._stream.height, self._stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:h, :w]), format="bgr24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        """Finish the file."""
        if self._writer is not None:
            self._writer.release()
        elif self._container is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()
            self._container = None


class LazyVideoSink:
    """A :class:`VideoSink` opened at the first frame written and sized to it — an annotated frame's size is known
    once it is drawn; ``close`` is safe when nothing was written (no file is made)."""

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path, self.fps = Path(path), fps
        self._sink: VideoSink | None = None

    def write(self, image: np.ndarray) -> None:
        """Append one BGR frame (the first one opens the file)."""
        if self._sink is None:
            self._sink = VideoSink(self.path, self.fps, image.shape[1], image.shape[0])
        self._sink.write(image)

    def close(self) -> None:
        """Finish the file, if one was opened."""
        if self._sink is not None:
            self._sink.close()
