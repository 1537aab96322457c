"""etiquette-cv: a computer-vision inspector of service-counter etiquette.

Stages, one subpackage each, in the one direction imports go (``tools/import_graph.py`` checks it):
``io`` (video, frames, tracks file) → ``geometry`` (polylines, calibration, camera, floor positions) → ``people``
(detector, tracker, landmarker, roles) → ``posture`` (filters, trunk fit, limbs, stance, series) → ``events``
(bends, approaches) → ``rules`` (rulebook, graders, findings) → ``report`` (JSON, CSV, HTML, terminal, evidence);
``annotators`` draw, ``pipeline`` runs the jobs, ``cli`` is the command line; ``core``, ``strict_yaml`` and
``timeseries`` are shared by all; ``sim`` makes synthetic scenes.
"""

import os as _os

# FFmpeg (inside OpenCV) prints decoder complaints about damaged files straight to stderr; the video source
# reports those problems itself, in one line naming the file.
_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"
