"""etiquette-cv: a computer-vision inspector of service-counter etiquette.

Stages, one module each, in the one direction data flows:
``video`` (frames) → ``pose`` (landmarks per region) → ``calibration``/``geometry`` (floor, heights) →
``features`` (angles) → ``events`` (state machines) → ``rules`` (grading) → ``report``.
"""

import os as _os

# FFmpeg (inside OpenCV) prints decoder complaints about damaged files straight to stderr; the video source
# reports those problems itself, in one line naming the file.
_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"
