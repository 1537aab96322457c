"""Video source: container timestamps, sampling by time, errors naming the file."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import write_cfr_video, write_vfr_video
from etiquette_cv.io.frames import read_frame_at
from etiquette_cv.io.video import VideoError, VideoSource, capture_size_fps, parse_source


def test_constant_rate_every_frame_has_container_timestamps(cfr_mp4):
    src = VideoSource(cfr_mp4, analysis_fps=None)
    frames = list(src)
    assert src.info.width == 160 and src.info.height == 120
    assert src.info.nominal_fps == pytest.approx(25.0)
    assert len(frames) == 50
    ts = np.array([f.timestamp_s for f in frames])
    np.testing.assert_allclose(ts, np.arange(50) / 25.0, atol=1e-3)
    assert [f.index for f in frames] == list(range(50))
    assert src.report.complete and src.report.frames_decoded == 50


@pytest.mark.parametrize("fps, expected", [(10, [0.0, 0.12, 0.2, 0.32, 0.4]), (5, [0.0, 0.2, 0.4, 0.6, 0.8])])
def test_sampling_keeps_first_frame_at_each_tick(cfr_avi, fps, expected):
    frames = list(VideoSource(cfr_avi, analysis_fps=fps))
    np.testing.assert_allclose([f.timestamp_s for f in frames][:5], expected, atol=1e-3)
    # 2 s of video at `fps` analysed frames per second
    assert len(frames) == pytest.approx(2.0 * fps, abs=1)


@pytest.mark.parametrize("suffix", ["mkv", "mp4"])
def test_variable_frame_rate_uses_true_timestamps(tmp_path, suffix):
    pts = [0, 40, 80, 200, 240, 500, 540, 580, 1000, 1040]
    path = write_vfr_video(tmp_path / f"vfr.{suffix}", pts)
    src = VideoSource(path, analysis_fps=None)
    got = [round(f.timestamp_s * 1000) for f in src]
    assert got == pts  # index × nominal fps would give 0, 40, 80, 120, ...
    assert src.report.complete, src.report.problem
    sampled = [round(f.timestamp_s * 1000) for f in VideoSource(path, analysis_fps=10)]
    assert sampled == [0, 200, 500, 1000]  # a gap in the video does not cause a burst of frames after it


def test_start_and_end_seek_by_time(cfr_mp4):
    frames = list(VideoSource(cfr_mp4, analysis_fps=None, start_s=1.0, end_s=1.5))
    ts = [f.timestamp_s for f in frames]
    assert ts[0] == pytest.approx(1.0, abs=0.041) and ts[-1] <= 1.5 + 1e-6
    assert all(b > a for a, b in zip(ts, ts[1:]))


def test_frames_are_decoded_images(cfr_mp4):
    frames = list(VideoSource(cfr_mp4, analysis_fps=None))
    # frame i was written with grey level 4*i; lossy codec keeps it within a few levels away from the digits
    assert abs(int(np.median(frames[10].image[:, -20:])) - 40) <= 6
    assert frames[10].image.shape == (120, 160, 3) and frames[10].image.dtype == np.uint8


def test_truncated_file_reports_problem_and_keeps_frames(tmp_path, cfr_avi):
    data = cfr_avi.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    src = VideoSource(cut, analysis_fps=None)
    frames = list(src)
    assert 5 < len(frames) < 50
    assert not src.report.complete
    assert "cut.avi" in src.report.problem and "truncated" in src.report.problem


def test_truncated_mp4_without_index_is_a_clear_error(tmp_path, cfr_mp4):
    data = cfr_mp4.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # OpenCV's mp4 writer puts the index (moov) at the end
    with pytest.raises(VideoError, match=r"cut\.mp4: .*(damaged|decode)"):
        VideoSource(cut)


@pytest.mark.parametrize("name, content, message", [
    ("missing.mp4", None, "no such file"),
    ("empty.mp4", b"", "empty file"),
    ("text.mp4", b"this is not a video at all\n" * 50, "not a video"),
])
def test_bad_files_raise_one_line_errors_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(VideoError) as err:
        VideoSource(path)
    text = str(err.value)
    assert name in text and message in text and "\n" not in text


def test_directory_is_not_a_video(tmp_path):
    with pytest.raises(VideoError, match="directory"):
        VideoSource(tmp_path)


def test_bad_rate_is_rejected(cfr_mp4):
    with pytest.raises(VideoError, match="analysis rate"):
        VideoSource(cfr_mp4, analysis_fps=0)


def test_unreachable_stream_is_a_clear_error():
    with pytest.raises(VideoError, match="rtsp://127.0.0.1:9/none: cannot open"):
        VideoSource("rtsp://127.0.0.1:9/none")


def test_parse_source():
    assert parse_source("0") == 0 and parse_source("2") == 2
    assert parse_source("rtsp://cam/1") == "rtsp://cam/1" and parse_source("a.mp4") == "a.mp4"


def test_read_frame_at_video_and_image(tmp_path, cfr_mp4):
    import cv2
    img = read_frame_at(cfr_mp4, 1.0)
    assert img.shape == (120, 160, 3)
    assert abs(int(np.median(img[:, -20:])) - 100) <= 6  # frame 25 has grey level 100
    png = tmp_path / "f.png"
    cv2.imwrite(str(png), img)
    assert read_frame_at(png).shape == img.shape
    with pytest.raises(VideoError, match="f.txt"):
        (tmp_path / "f.txt").write_text("x")
        read_frame_at(tmp_path / "f.txt")


def test_stopping_early_releases_the_decoder(tmp_path):
    path = write_cfr_video(tmp_path / "long.avi", n_frames=200, fourcc="MJPG")
    src = VideoSource(path, analysis_fps=None, queue_size=2)
    for i, _ in enumerate(src):
        if i == 3:
            break
    assert src.report.frames_yielded == 4


class _FakeCapture:
    """What an OpenCV capture reports: a size and a rate (0 or NaN when unknown), and the frame a read returns."""

    def __init__(self, width: int, height: int, fps: float, frame: np.ndarray | None) -> None:
        self.props = {cv2.CAP_PROP_FRAME_WIDTH: width, cv2.CAP_PROP_FRAME_HEIGHT: height, cv2.CAP_PROP_FPS: fps}
        self.frame = frame

    def get(self, prop: int) -> float:
        return self.props[prop]

    def read(self):
        return self.frame is not None, self.frame


def test_capture_size_fps_decodes_a_frame_when_no_size_is_reported_and_names_the_source_when_none_decodes():
    assert capture_size_fps(_FakeCapture(640, 360, 25.0, None), "a.mp4", "x") == (640, 360, 25.0)
    assert capture_size_fps(_FakeCapture(0, 0, float("nan"), np.zeros((90, 160, 3), np.uint8)), "cam", "x") \
        == (160, 90, 0.0)
    with pytest.raises(VideoError, match=r"^rtsp://cam/1: opened, but no frame could be decoded$"):
        capture_size_fps(_FakeCapture(0, 0, 0.0, None), "rtsp://cam/1", "opened, but no frame could be decoded")
