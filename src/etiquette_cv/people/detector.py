"""Whole-frame multi-person detector: MoveNet MultiPose Lightning (ONNX, bundled) on onnxruntime.

The model takes an RGB image as int32 ``(1, H, W, 3)`` with H and W multiples of 32 and returns ``(1, 6, 56)``:
up to 6 people, each 17 COCO keypoints as (y, x, score) followed by a box (ymin, xmin, ymax, xmax, score), all
coordinates normalised to the model input. :class:`PersonDetector` scales the frame (or a region of it) so its long
side has ``input_long_side_px`` pixels (aspect ratio kept), pads right and bottom with black up to multiples of 32,
and maps everything back to full-frame pixels.

Pixel coordinates follow OpenCV: x to the right, y down, pixel centres at integer coordinates, in the frame given
to :meth:`PersonDetector.detect` (not the ROI, not the model input).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..models import DEFAULT_DETECTOR_MODEL, ModelError, resolve_detector_model

__all__ = ["COCO_KEYPOINTS", "DetectorTiming", "PersonDetections", "PersonDetector"]

#: The 17 keypoints, in the model's (COCO) order.
COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS = len(COCO_KEYPOINTS)
_STRIDE = 32
_INPUT, _OUTPUT = "input", "output_0"


@dataclass
class PersonDetections:
    """People found in one frame, best score first. All arrays are float32 and share the first dimension N.

    * ``boxes_xyxy_px`` (N, 4): x0, y0, x1, y1 in full-frame pixels (x0 <= x1, y0 <= y1, inside the frame or ROI);
    * ``scores`` (N,): the model's person score, 0-1;
    * ``keypoints_xy_px`` (N, 17, 2): x, y of the COCO-17 keypoints (:data:`COCO_KEYPOINTS`) in full-frame pixels;
    * ``keypoint_scores`` (N, 17): their confidences, 0-1.
    """

    boxes_xyxy_px: np.ndarray
    scores: np.ndarray
    keypoints_xy_px: np.ndarray
    keypoint_scores: np.ndarray

    def __post_init__(self) -> None:
        self.boxes_xyxy_px = np.asarray(self.boxes_xyxy_px, np.float32)
        self.scores = np.asarray(self.scores, np.float32)
        self.keypoints_xy_px = np.asarray(self.keypoints_xy_px, np.float32)
        self.keypoint_scores = np.asarray(self.keypoint_scores, np.float32)
        if self.scores.ndim != 1:
            raise ValueError(f"PersonDetections.scores: shape {self.scores.shape}, expected (N,)")
        n = self.scores.shape[0]
        for name, shape in (("boxes_xyxy_px", (n, 4)), ("keypoints_xy_px", (n, NUM_KEYPOINTS, 2)),
                            ("keypoint_scores", (n, NUM_KEYPOINTS))):
            have = getattr(self, name).shape
            if have != shape:
                raise ValueError(f"PersonDetections.{name}: shape {have}, expected {shape} (N = {n} scores)")

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @classmethod
    def empty(cls) -> "PersonDetections":
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros((0, NUM_KEYPOINTS, 2)), np.zeros((0, NUM_KEYPOINTS)))


@dataclass
class DetectorTiming:
    """Wall-clock time of :meth:`PersonDetector.detect` calls, in milliseconds (preprocessing included)."""

    last: float = 0.0
    total: float = 0.0
    calls: int = 0

    @property
    def mean(self) -> float:
        return self.total / self.calls if self.calls else 0.0


class PersonDetector:
    """Finds every person in a BGR frame (or a rectangle of it) with MoveNet MultiPose Lightning.

    ``model``: a bundled detector name (``"movenet"``, hash-checked against manifest.json) or the path of an ONNX
    file with the same input and output. ``input_long_side_px``: the long side, in pixels, the frame (or ROI) is
    scaled to for the model (aspect ratio kept, padded to multiples of 32); 512 is the measured compromise, 384 is
    faster and misses more small people, 640 is slower. ``score_threshold``: detections with a lower person score
    (0-1) are dropped. ``num_threads``: onnxruntime intra-op threads.

    ``time_ms`` holds the last / total / mean time of :meth:`detect` in milliseconds. Use as a context manager or
    call :meth:`close` to free the session early.
    """

    def __init__(self, model: str | Path = DEFAULT_DETECTOR_MODEL, input_long_side_px: int = 512,
                 score_threshold: float = 0.2, num_threads: int = 1) -> None:
        if int(input_long_side_px) < _STRIDE:
            raise ValueError(f"input_long_side_px must be at least {_STRIDE} (got {input_long_side_px})")
        if not 0.0 <= float(score_threshold) <= 1.0:
            raise ValueError(f"score_threshold must be within 0-1 (got {score_threshold})")
        if int(num_threads) < 1:
            raise ValueError(f"num_threads must be at least 1 (got {num_threads})")
        import onnxruntime as ort

        self.model_path = resolve_detector_model(model)
        self.input_long_side_px = int(input_long_side_px)
        self.score_threshold = float(score_threshold)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(num_threads)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.model_path), sess_options=opts,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.model_path}: onnxruntime cannot load it: {first}") from None
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if [i.name for i in inputs] != [_INPUT] or _OUTPUT not in [o.name for o in outputs]:
            raise ModelError(f"{self.model_path}: not a MoveNet MultiPose model (inputs "
                             f"{[i.name for i in inputs]}, outputs {[o.name for o in outputs]})")
        self.time_ms = DetectorTiming()

    # ------------------------------------------------------------------------------------------------ helpers

    def input_size(self, width_px: int, height_px: int, long_side_px: int | None = None) -> tuple[int, int, int, int]:
        """(resized w, resized h, model input w, model input h) in pixels for an image of the given size, scaled so
        its long side has ``long_side_px`` (default: the detector's ``input_long_side_px``)."""
        scale = (long_side_px or self.input_long_side_px) / max(width_px, height_px)
        rw, rh = max(1, round(width_px * scale)), max(1, round(height_px * scale))
        return rw, rh, -(-rw // _STRIDE) * _STRIDE, -(-rh // _STRIDE) * _STRIDE

    @staticmethod
    def _roi(shape: tuple[int, ...], roi_xywh) -> tuple[int, int, int, int]:
        h, w = shape[:2]
        if roi_xywh is None:
            return 0, 0, w, h
        if len(roi_xywh) != 4:
            raise ValueError(f"roi_xywh must be (x, y, width, height) in pixels, got {roi_xywh!r}")
        x, y, rw, rh = (float(v) for v in roi_xywh)
        if not (rw > 0 and rh > 0):
            raise ValueError(f"roi_xywh must have a positive width and height, got {roi_xywh!r}")
        x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
        x1, y1 = min(w, int(np.ceil(x + rw))), min(h, int(np.ceil(y + rh)))
        return x0, y0, x1, y1

    # ------------------------------------------------------------------------------------------------ detect

    def detect(self, image_bgr: np.ndarray, roi_xywh: tuple | None = None,
               long_side_px: int | None = None) -> PersonDetections:
        """People in ``image_bgr`` (H, W, 3) uint8 BGR, or only within ``roi_xywh`` = (x, y, width, height) pixels.

        The ROI is clipped to the frame (an ROI wholly outside it gives no detections) and scaled so its long side
        has ``long_side_px`` pixels (default ``input_long_side_px``): a small ROI is enlarged, so small people in
        it are found. Results are in full-frame pixels whatever the ROI, sorted by score (best first), boxes
        clipped to the ROI.
        """
        if long_side_px is not None and int(long_side_px) < _STRIDE:
            raise ValueError(f"long_side_px must be at least {_STRIDE} (got {long_side_px})")
        t0 = time.perf_counter()
        if self._session is None:
            raise RuntimeError("PersonDetector.detect() called after close()")
        image = np.asarray(image_bgr)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"image_bgr must be an (H, W, 3) uint8 BGR image, got {image.dtype} {image.shape}")
        x0, y0, x1, y1 = self._roi(image.shape, roi_xywh)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return self._timed(t0, PersonDetections.empty())
        crop = image[y0:y1, x0:x1]
        cw, ch = x1 - x0, y1 - y0
        rw, rh, iw, ih = self.input_size(cw, ch, long_side_px)
        interp = cv2.INTER_AREA if rw < cw else cv2.INTER_LINEAR
        resized = cv2.resize(crop, (rw, rh), interpolation=interp)
        tensor = np.zeros((1, ih, iw, 3), np.int32)
        tensor[0, :rh, :rw] = resized[:, :, ::-1]  # BGR -> RGB
        raw = self._session.run([_OUTPUT], {_INPUT: tensor})[0][0]  # (6, 56)

        scores = raw[:, 55]
        order = np.argsort(-scores, kind="stable")
        order = order[scores[order] >= self.score_threshold]
        raw = raw[order]
        # Normalised model-input coordinates -> continuous ROI coordinates -> full-frame pixels (centres on integers).
        sx, sy = iw * cw / rw, ih * ch / rh
        kp = raw[:, :51].reshape(-1, NUM_KEYPOINTS, 3)
        kxy = np.stack([kp[..., 1] * sx + (x0 - 0.5), kp[..., 0] * sy + (y0 - 0.5)], axis=-1)
        ymin, xmin, ymax, xmax = (raw[:, 51 + i] for i in range(4))
        bx0, bx1 = np.minimum(xmin, xmax) * sx + (x0 - 0.5), np.maximum(xmin, xmax) * sx + (x0 - 0.5)
        by0, by1 = np.minimum(ymin, ymax) * sy + (y0 - 0.5), np.maximum(ymin, ymax) * sy + (y0 - 0.5)
        boxes = np.stack([np.clip(bx0, x0 - 0.5, x1 - 0.5), np.clip(by0, y0 - 0.5, y1 - 0.5),
                          np.clip(bx1, x0 - 0.5, x1 - 0.5), np.clip(by1, y0 - 0.5, y1 - 0.5)], axis=-1)
        return self._timed(t0, PersonDetections(boxes, raw[:, 55], kxy, kp[..., 2]))

    def _timed(self, t0: float, dets: PersonDetections) -> PersonDetections:
        ms = (time.perf_counter() - t0) * 1000.0
        self.time_ms.last = ms
        self.time_ms.total += ms
        self.time_ms.calls += 1
        return dets

    # ------------------------------------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Free the onnxruntime session (the detector cannot be used afterwards)."""
        self._session = None

    def __enter__(self) -> "PersonDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
