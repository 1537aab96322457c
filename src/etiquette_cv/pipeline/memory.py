"""Handing freed heap memory back to the system.

The models (MediaPipe, onnxruntime) and the decoder and people-stage threads allocate in glibc arenas of their own;
what they free stays resident until the heap is trimmed, so a review trims once the models are closed (measured on
the reception sample: 120 MB less resident memory for the grading that follows).
"""

from __future__ import annotations

import ctypes
import sys


def release_freed_memory() -> None:
    """Return the heap memory freed so far to the system (glibc ``malloc_trim``; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).malloc_trim(0)   # the process's own symbols: glibc's, when it is glibc
    except (OSError, AttributeError):
        pass
