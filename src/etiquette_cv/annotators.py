"""Drawing on frames: skeletons, regions, captions. Annotators only draw; they decide nothing."""

from __future__ import annotations

import zlib
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from .types import SKELETON_EDGES, FramePoses, PersonPose, RegionOfInterest

#: BGR colours per region name; other names get a colour from their hash.
REGION_COLOURS = {"clerk": (60, 200, 60), "customer": (40, 160, 255), "full": (255, 200, 0)}


def colour_for(name: str) -> tuple[int, int, int]:
    """A stable BGR colour for a region or person name."""
    if name in REGION_COLOURS:
        return REGION_COLOURS[name]
    h = zlib.crc32(name.encode()) % 180
    hsv = np.uint8([[[h, 200, 230]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def draw_person(image: np.ndarray, person: PersonPose, colour: tuple[int, int, int] | None = None,
                visibility_threshold: float = 0.5) -> None:
    """Draw one person's skeleton in place; landmarks below ``visibility_threshold`` are drawn hollow and thin."""
    colour = colour or colour_for(person.region)
    pts = person.image_xy_px
    seen = person.visible(visibility_threshold)
    scale = max(1, round(image.shape[0] / 480))
    for a, b in SKELETON_EDGES:
        pa, pb = tuple(int(v) for v in pts[a]), tuple(int(v) for v in pts[b])
        thick = 2 * scale if seen[a] and seen[b] else 1
        cv2.line(image, pa, pb, colour, thick, cv2.LINE_AA)
    for i, p in enumerate(pts):
        c = tuple(int(v) for v in p)
        if seen[i]:
            cv2.circle(image, c, 2 * scale, colour, -1, cv2.LINE_AA)
        else:
            cv2.circle(image, c, 2 * scale, colour, 1, cv2.LINE_AA)


def draw_region(image: np.ndarray, region: RegionOfInterest) -> None:
    """Outline a region of interest with its name."""
    colour = colour_for(region.name)
    cv2.rectangle(image, (region.x, region.y), (region.x + region.width, region.y + region.height), colour, 1)
    put_label(image, region.name, (region.x + 4, region.y + 18), colour)


def put_label(image: np.ndarray, text: str, origin: tuple[int, int], colour=(255, 255, 255),
              scale: float = 0.5) -> None:
    """Write ASCII text with a dark outline so it reads on any background."""
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def draw_poses(image: np.ndarray, poses: FramePoses, regions: list[RegionOfInterest] = ()) -> np.ndarray:
    """A copy of ``image`` with the regions, every person's skeleton and track id drawn."""
    out = image.copy()
    for r in regions:
        draw_region(out, r)
    for p in poses.persons:
        draw_person(out, p)
        x0, y0, _, _ = p.bbox_px()
        put_label(out, f"{p.region} #{p.track_id}", (int(x0), max(12, int(y0) - 6)), colour_for(p.region))
    put_label(out, f"t={poses.timestamp_s:7.2f}s  frame {poses.frame_index}", (8, image.shape[0] - 10))
    return out


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
