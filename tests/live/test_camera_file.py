"""Camera files: strict reading with one-line errors; the calibration matched to the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from etiquette_cv.pipeline.camera_file import CameraFileError, load_camera_calibration, load_camera_file

from live_parts import REPO, RECEPTION, RECEPTION_CAL, write_camera_file


def test_a_file_source_is_resolved_and_looped(tmp_path):
    cam = load_camera_file(write_camera_file(tmp_path / "cam.yaml", str(RECEPTION), extra="loop: true\n"))
    assert (cam.branch, cam.camera, cam.source, cam.loop, cam.is_file) == (
        "test-branch", "reception", str(RECEPTION), True, True)
    assert load_camera_calibration(cam, 1280, 720).image_width == 1280


def test_urls_and_device_indexes(tmp_path):
    assert load_camera_file(write_camera_file(tmp_path / "a.yaml", "rtsp://10.0.0.5/s1")).source == "rtsp://10.0.0.5/s1"
    assert load_camera_file(write_camera_file(tmp_path / "b.yaml", "0")).source == 0


@pytest.mark.parametrize("source, extra, message", [
    ("rtsp://x/y", "fps: 5\n", "cam.yaml: fps: unknown key"),
    ("rtsp://x/y", "loop: true\n", "cam.yaml: loop: applies to a video file only"),
    ("missing.mp4", "", "cam.yaml: source: no such video file"),
    ("ftp://x/y", "", "cam.yaml: source: unknown stream scheme"),
    ("rtsp://x/y", "analysis_fps: -1\n", "cam.yaml: analysis_fps: expected a positive number"),
])
def test_bad_camera_files_fail_in_one_line(tmp_path, source, extra, message):
    path = write_camera_file(tmp_path / "cam.yaml", source, extra=extra)
    with pytest.raises(CameraFileError) as err:
        load_camera_file(path)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_missing_keys_and_a_missing_calibration(tmp_path):
    (tmp_path / "cam.yaml").write_text("version: 1\nbranch: b\nsource: 0\ncalibration: c.yaml\n")
    with pytest.raises(CameraFileError, match="cam.yaml: camera: missing required key"):
        load_camera_file(tmp_path / "cam.yaml")
    path = write_camera_file(tmp_path / "cam2.yaml", "0", calibration=tmp_path / "none.yaml")
    with pytest.raises(CameraFileError, match="cam2.yaml: calibration: no such file"):
        load_camera_file(path)


def test_a_calibration_of_another_image_size_is_refused(tmp_path):
    cam = load_camera_file(write_camera_file(tmp_path / "cam.yaml", str(RECEPTION)))
    with pytest.raises(CameraFileError, match=f"{RECEPTION_CAL.name} is calibrated for 1280x720 images but the "
                                              "source gives 1920x1080"):
        load_camera_calibration(cam, 1920, 1080)


def test_the_shipped_sample_camera_file_loads():
    cam = load_camera_file(REPO / "cameras" / "reception.yaml")
    assert cam.is_file and cam.loop and Path(cam.source).resolve() == RECEPTION.resolve()
    assert cam.calibration_path.resolve() == RECEPTION_CAL.resolve()
