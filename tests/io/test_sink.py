"""Writing annotated videos (io/sink.py)."""

from __future__ import annotations

import numpy as np

from etiquette_cv.io.sink import LazyVideoSink
from etiquette_cv.io.video import VideoSource


def test_a_lazy_sink_opens_at_the_first_frame_sized_to_it_and_makes_no_file_without_frames(tmp_path):
    empty = LazyVideoSink(tmp_path / "none.mp4", 10.0)
    empty.close()
    assert not (tmp_path / "none.mp4").exists()

    sink = LazyVideoSink(tmp_path / "out" / "clip.mp4", 10.0)
    for k in range(5):
        image = np.full((120, 160, 3), 40 * k, np.uint8)
        sink.write(image)
    sink.close()
    frames = [f.image for f in VideoSource(tmp_path / "out" / "clip.mp4", analysis_fps=None)]
    assert len(frames) == 5 and frames[0].shape == (120, 160, 3)
    assert abs(float(frames[-1].mean()) - 160.0) < 10.0      # the last frame written, not the first
