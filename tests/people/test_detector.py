"""The whole-frame person detector: finds people, maps ROI results back to the frame, refuses a damaged model."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import etiquette_cv.models as models
from etiquette_cv.models import ModelError, ModelIntegrityError, resolve_detector_model
from etiquette_cv.people.detector import PersonDetections, PersonDetector

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_videos"
MODELS_DIR = REPO / "src" / "etiquette_cv" / "models"
DETECTOR_FILE = "movenet_multipose_lightning.onnx"
# reception.mp4 at 8.0 s: the clerk stands behind the desk after the greeting bow, customer1 stands at the counter.
RECEPTION_FRAME = 80


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def truth_box(person: dict) -> np.ndarray:
    """Box of a sidecar person's projected landmarks in the frame (hidden ones included), plus the crown above
    the eyes (8 % of the height) and 2 % at the sides."""
    lm = np.asarray(person["landmarks_px"], float)[np.asarray(person["in_frame"], bool)]
    (x0, y0), (x1, y1) = lm.min(0), lm.max(0)
    h = y1 - y0
    return np.array([x0 - 0.02 * h, y0 - 0.08 * h, x1 + 0.02 * h, y1])


def read_frame(video: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(video))
    try:
        for _ in range(index + 1):  # decode sequentially: seeking is not frame-exact everywhere
            ok, frame = cap.read()
            assert ok, f"{video}: no frame {index}"
        return frame
    finally:
        cap.release()


@pytest.fixture(scope="module")
def detector() -> PersonDetector:
    with PersonDetector() as det:  # the defaults: bundled MoveNet, 512 px, score >= 0.2
        yield det


@pytest.fixture(scope="module")
def reception():
    truth = json.loads((SAMPLES / "reception.gt.json").read_text(encoding="utf-8"))
    record = truth["frames"][RECEPTION_FRAME]
    assert record["index"] == RECEPTION_FRAME
    return read_frame(SAMPLES / "reception.mp4", RECEPTION_FRAME), record


# --------------------------------------------------------------------------- finding people

def test_finds_the_astronaut():
    skdata = pytest.importorskip("skimage.data", reason="scikit-image (test extra) provides the astronaut image")
    image = cv2.cvtColor(np.ascontiguousarray(skdata.astronaut()), cv2.COLOR_RGB2BGR)
    # A head-and-shoulders close-up filling the frame: MoveNet's own recommended 256 px input (it scores 0.50 there,
    # only 0.12 at the 512 px default, which is sized for whole people in a wide camera view).
    with PersonDetector(input_long_side_px=256) as det:
        dets = det.detect(image)
        assert det.time_ms.calls == 1 and det.time_ms.last > 0 and det.time_ms.total == det.time_ms.last
    assert len(dets) == 1, dets.scores
    x0, y0, x1, y1 = dets.boxes_xyxy_px[0]
    for x, y in ((222, 126), (308, 255), (110, 238)):  # her nose and shoulders (tests/test_models.py)
        assert x0 <= x <= x1 and y0 <= y <= y1
    nose = dets.keypoints_xy_px[0, 0]
    assert np.hypot(*(nose - (222, 126))) < 20 and dets.keypoint_scores[0, 0] > 0.5
    assert dets.boxes_xyxy_px.dtype == np.float32 and dets.keypoints_xy_px.shape == (1, 17, 2)


def test_finds_the_clerk_and_the_customer(detector, reception):
    frame, record = reception
    dets = detector.detect(frame)
    assert np.all(np.diff(dets.scores) <= 0) and np.all(dets.scores >= 0.2)
    for pid in ("clerk", "customer1"):
        truth = truth_box(record["persons"][pid])
        best = max((iou(truth, b) for b in dets.boxes_xyxy_px), default=0.0)
        assert best >= 0.3, f"{pid}: best IoU {best:.2f} with the truth box {truth.round()}"
    assert len(dets) == 2, dets.boxes_xyxy_px  # and nothing else (customer2 is not in view yet)


def test_roi_results_are_in_full_frame_pixels(detector, reception):
    frame, record = reception
    x, y, w, h = 450, 40, 220, 400  # around customer1 only
    in_roi = detector.detect(frame, roi_xywh=(x, y, w, h))
    crop = detector.detect(np.ascontiguousarray(frame[y:y + h, x:x + w]))
    # The same pixels give the same model input: the ROI results are the crop's shifted by the ROI corner.
    assert len(in_roi) == len(crop) == 1
    np.testing.assert_allclose(in_roi.boxes_xyxy_px, crop.boxes_xyxy_px + [x, y, x, y], atol=1e-3)
    np.testing.assert_allclose(in_roi.keypoints_xy_px, crop.keypoints_xy_px + [x, y], atol=1e-3)
    np.testing.assert_array_equal(in_roi.scores, crop.scores)
    assert iou(in_roi.boxes_xyxy_px[0], truth_box(record["persons"]["customer1"])) >= 0.5
    box = in_roi.boxes_xyxy_px[0]
    assert x - 0.5 <= box[0] and box[2] <= x + w - 0.5 and y - 0.5 <= box[1] and box[3] <= y + h - 0.5
    # An ROI reaching past the frame is clipped to it; one wholly outside finds nobody.
    clipped = detector.detect(frame, roi_xywh=(x, -100, w, h + 100))
    np.testing.assert_allclose(clipped.boxes_xyxy_px, detector.detect(frame, roi_xywh=(x, 0, w, h)).boxes_xyxy_px)
    assert len(detector.detect(frame, roi_xywh=(5000, 0, 100, 100))) == 0
    with pytest.raises(ValueError, match="positive width"):
        detector.detect(frame, roi_xywh=(0, 0, 0, 10))
    # the same ROI enlarged to another input size still finds the customer, in full-frame pixels
    big = detector.detect(frame, roi_xywh=(x, y, w, h), long_side_px=640)
    assert len(big) >= 1 and iou(big.boxes_xyxy_px[0], truth_box(record["persons"]["customer1"])) >= 0.5


def test_input_checks(detector):
    with pytest.raises(ValueError, match="uint8 BGR"):
        detector.detect(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match="uint8 BGR"):
        detector.detect(np.zeros((64, 64, 3), np.float32))
    assert detector.input_size(1280, 720) == (512, 288, 512, 288)
    assert detector.input_size(960, 541) == (512, 289, 512, 320)  # padded to multiples of 32
    assert detector.input_size(200, 100, long_side_px=224) == (224, 112, 224, 128)  # a small ROI is enlarged
    assert len(detector.detect(np.zeros((100, 80, 3), np.uint8))) == 0
    with pytest.raises(ValueError, match="long_side_px"):
        detector.detect(np.zeros((64, 64, 3), np.uint8), long_side_px=16)


def test_detections_validate_shapes():
    empty = PersonDetections.empty()
    assert len(empty) == 0 and empty.keypoints_xy_px.shape == (0, 17, 2)
    one = PersonDetections([[0, 0, 1, 1]], [0.5], np.zeros((1, 17, 2)), np.zeros((1, 17)))
    assert len(one) == 1 and one.scores.dtype == np.float32
    with pytest.raises(ValueError, match="keypoints_xy_px"):
        PersonDetections([[0, 0, 1, 1]], [0.5], np.zeros((1, 33, 2)), np.zeros((1, 17)))
    with pytest.raises(ValueError, match="boxes_xyxy_px"):
        PersonDetections(np.zeros((2, 4)), [0.5], np.zeros((1, 17, 2)), np.zeros((1, 17)))


# --------------------------------------------------------------------------- the bundled model

@pytest.fixture
def models_dir_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the models directory (manifest + detector) that the loader uses instead of the package's."""
    for name in ("manifest.json", DETECTOR_FILE):
        shutil.copy2(MODELS_DIR / name, tmp_path / name)
    monkeypatch.setattr(models, "MODELS_DIR", tmp_path)
    return tmp_path


def test_manifest_records_the_detector():
    manifest = json.loads((MODELS_DIR / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = [e for e in manifest["detectors"] if e["file"] == DETECTOR_FILE]
    data = (MODELS_DIR / DETECTOR_FILE).read_bytes()
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
    assert entry["licence"] == "Apache-2.0" and entry["origin"]["package_licence"] == "MIT"
    spec = importlib.util.spec_from_file_location("build_detector", REPO / "tools" / "build_detector.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    origin = entry["origin"]
    assert (origin["package"], origin["version"], origin["integrity"]) == \
        (build.NPM_PACKAGE, build.NPM_VERSION, build.NPM_INTEGRITY)
    assert entry["opset"] == build.OPSET and entry["conversion"]["build_requirements"]["tf2onnx"]
    assert resolve_detector_model() == MODELS_DIR / DETECTOR_FILE == resolve_detector_model("movenet")


def test_corrupted_detector_is_refused(models_dir_copy):
    path = models_dir_copy / DETECTOR_FILE
    assert resolve_detector_model() == path  # the untouched copy passes
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    for load in (resolve_detector_model, PersonDetector):
        with pytest.raises(ModelIntegrityError, match="SHA-256 mismatch") as exc:
            load("movenet")
        assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_missing_detector_is_a_one_line_error(models_dir_copy):
    (models_dir_copy / DETECTOR_FILE).unlink()
    with pytest.raises(ModelError, match=f"{DETECTOR_FILE}: bundled model missing") as exc:
        PersonDetector()
    assert "\n" not in str(exc.value)
    with pytest.raises(ModelError, match="no such person detector; bundled: movenet"):
        resolve_detector_model("yolo")
    with pytest.raises(ModelError, match="no such person detector model file"):
        resolve_detector_model(models_dir_copy / "nope.onnx")
