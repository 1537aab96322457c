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
