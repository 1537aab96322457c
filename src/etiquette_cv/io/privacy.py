"""What may be stored of an image: the calibration's privacy masks (a PIN pad, a customer's screen) covered before
any image is written."""

from __future__ import annotations

import cv2
import numpy as np

PRIVACY_FILL_BGR = (64, 64, 64)


def cover_private(image: np.ndarray, polygons_px: list[np.ndarray] | tuple[np.ndarray, ...],
                  calibrated_size: tuple[int, int] | None = None) -> None:
    """Fill, in place, the calibration's privacy masks (image polygons in pixels of ``calibrated_size`` = (width,
    height), scaled to this image when it is another size) with a flat grey: what is under them is never stored."""
    if not len(polygons_px):
        return
    h, w = image.shape[:2]
    sx, sy = (1.0, 1.0) if calibrated_size is None else (w / calibrated_size[0], h / calibrated_size[1])
    polys = [np.round(np.asarray(p, float) * [sx, sy]).astype(np.int32) for p in polygons_px]
    cv2.fillPoly(image, polys, PRIVACY_FILL_BGR)
