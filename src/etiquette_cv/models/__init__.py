"""The MediaPipe Tasks model bundles shipped with etiquette-cv, and how to find and check them.

Bundled (built by ``tools/build_models.py`` from Google's Apache-2.0 models, see ``NOTICE`` and
``manifest.json`` next to this file):

* ``pose_landmarker_lite.task`` and ``pose_landmarker_full.task`` (PoseLandmarker; default "full");
* ``movenet_multipose_lightning.onnx`` (whole-frame person detector, MoveNet MultiPose Lightning converted to ONNX
  by ``tools/build_detector.py``; recorded under ``detectors`` in ``manifest.json``): :func:`resolve_detector_model`.

The heavy pose model is not shipped (~28 MB); build it with
``python tools/build_models.py --variants heavy --out DIR`` and pass the ``.task`` path.

This module does not import mediapipe. Call :func:`quiet_mediapipe` before importing it to keep its native
INFO/WARNING chatter off the terminal.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import select
import sys
import threading
import zipfile
from pathlib import Path

__all__ = [
    "BUNDLED_DETECTOR_MODELS",
    "BUNDLED_POSE_MODELS",
    "DEFAULT_DETECTOR_MODEL",
    "DEFAULT_POSE_MODEL",
    "MODELS_DIR",
    "ModelError",
    "ModelIntegrityError",
    "pose_model_sha256",
    "quiet_mediapipe",
    "resolve_detector_model",
    "resolve_pose_model",
]

MODELS_DIR = Path(__file__).resolve().parent
"""Directory holding the bundles and ``manifest.json`` (tests may point it elsewhere)."""

BUNDLED_POSE_MODELS = ("lite", "full")
DEFAULT_POSE_MODEL = "full"

_POSE_FILES = {"lite": "pose_landmarker_lite.task", "full": "pose_landmarker_full.task"}
_DETECTOR_FILES = {"movenet": "movenet_multipose_lightning.onnx"}
BUNDLED_DETECTOR_MODELS = tuple(_DETECTOR_FILES)
DEFAULT_DETECTOR_MODEL = "movenet"
_POSE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


class ModelError(Exception):
    """A model bundle is missing, unreadable or not the kind of bundle expected (one-line message)."""


class ModelIntegrityError(ModelError):
    """A bundled model's bytes do not match the SHA-256 recorded in manifest.json."""


# --------------------------------------------------------------------------- hashing (cached per process)

_hash_lock = threading.Lock()
_hash_cache: dict[tuple[str, int, int], str] = {}


def _sha256_of(path: Path) -> str:
    """SHA-256 of a file, computed once per (path, mtime, size) in this process."""
    try:
        st = path.stat()
    except OSError as exc:
        raise ModelError(f"{path}: {exc.strerror or exc}") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _hash_lock:
        cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read: {exc.strerror or exc}") from None
    value = digest.hexdigest()
    with _hash_lock:
        _hash_cache[key] = value
    return value


def pose_model_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a model file, e.g. to record which model produced a result (cached per process)."""
    return _sha256_of(Path(path))


# --------------------------------------------------------------------------- bundled models

def _manifest_entry(file_name: str, section: str = "bundles") -> dict:
    manifest_path = MODELS_DIR / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = {e["file"]: e for e in manifest.get(section, [])}
    except FileNotFoundError:
        raise ModelError(f"{manifest_path}: missing; the installation is incomplete") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(f"{manifest_path}: unreadable ({exc})") from None
    if file_name not in entries:
        raise ModelError(f"{manifest_path}: no entry for {file_name}")
    return entries[file_name]


def _verified_bundle(file_name: str, section: str = "bundles", builder: str = "tools/build_models.py") -> Path:
    path = MODELS_DIR / file_name
    entry = _manifest_entry(file_name, section)
    if not path.is_file():
        raise ModelError(f"{path}: bundled model missing; reinstall etiquette-cv or run {builder}")
    actual = _sha256_of(path)
    if actual != entry.get("sha256"):
        raise ModelIntegrityError(
            f"{path}: SHA-256 mismatch (manifest {entry.get('sha256')}, file {actual}); the bundled model is "
            f"damaged or was modified: reinstall etiquette-cv or rebuild it with {builder}")
    return path


def _check_user_bundle(spec: str | Path, members: tuple[str, ...], kind: str) -> Path:
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(f"{path}: no such {kind} model file")
    if not path.is_file():
        raise ModelError(f"{path}: not a file (expected a {kind} .task bundle)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            missing = [m for m in members if m not in infos]
            if missing:
                have = ", ".join(sorted(infos)) or "nothing"
                raise ModelError(f"{path}: not a {kind} .task bundle: missing {', '.join(missing)} (it holds {have})")
            for name in members:
                if infos[name].compress_type != zipfile.ZIP_STORED:
                    raise ModelError(f"{path}: {name} is compressed; MediaPipe needs an uncompressed (stored) .task zip")
                with zf.open(infos[name]) as fh:
                    head = fh.read(8)
                if head[4:8] != b"TFL3":
                    raise ModelError(f"{path}: {name} in the bundle is not a TFLite model")
    except zipfile.BadZipFile:
        raise ModelError(f"{path}: not a {kind} .task bundle (not a zip archive)") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return path


#: Bundles too large to ship that tools/build_models.py builds byte-reproducibly: name → (file name, SHA-256).
BUILDABLE_POSE_MODELS = {
    "heavy": ("pose_landmarker_heavy.task", "dd7864bae117c854a822b44feb3e06c809a06ee668cab46a5a1b9485386a06e1"),
}
MODELS_ENV = "ETIQUETTE_CV_MODELS"


def user_models_dir() -> Path:
    """Where built (not shipped) bundles are looked for: $ETIQUETTE_CV_MODELS, else ~/.cache/etiquette-cv."""
    return Path(os.environ.get(MODELS_ENV) or Path.home() / ".cache" / "etiquette-cv").expanduser()


def _built_bundle(name: str) -> Path:
    file_name, digest = BUILDABLE_POSE_MODELS[name]
    path = user_models_dir() / file_name
    if not path.is_file():
        raise ModelError(f"{path}: the {name} model is not built; build it once with "
                         f"`python tools/build_models.py --variants {name} --out {user_models_dir()}`")
    actual = _sha256_of(path)
    if actual != digest:
        raise ModelIntegrityError(f"{path}: SHA-256 mismatch (expected {digest[:12]}…, got {actual[:12]}…): "
                                  "rebuild it with tools/build_models.py")
    return path


def resolve_pose_model(spec: str | Path = DEFAULT_POSE_MODEL) -> Path:
    """Path of a PoseLandmarker ``.task`` bundle.

    ``spec`` is a bundled model name (``"lite"``, ``"full"``), whose file is checked against the SHA-256 in
    manifest.json (:class:`ModelIntegrityError` if it differs), ``"heavy"`` (built once by tools/build_models.py into
    :func:`user_models_dir`, checked against its known SHA-256), or a path to a user-supplied bundle, which must be an
    uncompressed zip holding ``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. Problems raise
    :class:`ModelError` with a one-line message naming the file.
    """
    if isinstance(spec, str) and spec in _POSE_FILES:
        return _verified_bundle(_POSE_FILES[spec])
    if isinstance(spec, str) and spec in BUILDABLE_POSE_MODELS:
        return _built_bundle(spec)
    if isinstance(spec, str) and spec.strip() == "":
        raise ModelError(f"empty pose model name (bundled: {', '.join(BUNDLED_POSE_MODELS)}, or a .task path)")
    path = Path(spec).expanduser()
    if not path.exists() and isinstance(spec, str) and os.sep not in spec and "." not in spec:
        # Looks like a model name rather than a path: say which names exist.
        raise ModelError(f"{spec}: no such pose model file; bundled models are {', '.join(BUNDLED_POSE_MODELS)} "
                         "(build others with tools/build_models.py and pass the .task path)")
    return _check_user_bundle(path, _POSE_MEMBERS, "PoseLandmarker")


def resolve_detector_model(name: str | Path = DEFAULT_DETECTOR_MODEL) -> Path:
    """Path of the whole-frame person detector (ONNX).

    ``name`` is a bundled detector name (``"movenet"``: MoveNet MultiPose Lightning), whose file is checked against
    the SHA-256 recorded under ``detectors`` in manifest.json (:class:`ModelIntegrityError` if it differs), or a path
    to a user-supplied ``.onnx`` file with the same input and output (only checked to exist). Problems raise
    :class:`ModelError` with a one-line message naming the file.
    """
    if isinstance(name, str) and name in _DETECTOR_FILES:
        return _verified_bundle(_DETECTOR_FILES[name], "detectors", "tools/build_detector.py")
    path = Path(name).expanduser()
    if isinstance(name, str) and (name.strip() == "" or (not path.exists() and os.sep not in name
                                                         and not name.endswith(".onnx"))):
        raise ModelError(f"{name or '(empty)'}: no such person detector; bundled: {', '.join(BUNDLED_DETECTOR_MODELS)} "
                         "(or pass the path of an .onnx file)")
    if not path.exists():
        raise ModelError(f"{path}: no such person detector model file")
    if not path.is_file():
        raise ModelError(f"{path}: not a file (expected an .onnx person detector)")
    return path


# --------------------------------------------------------------------------- quiet native logging

# What mediapipe 1.2.3 prints on its own while landmarkers are created, run and closed. None of it can be turned
# off from Python: GLOG_minloglevel / TF_CPP_MIN_LOG_LEVEL are not read by its bundled LiteRT and Abseil logging,
# and the C API only lets one *add* a log sink. So the lines are filtered at the file-descriptor level.
_NOISE = re.compile(
    rb"(?:INFO|WARNING): \[[\w./+-]+:\d+\] .*"              # LiteRT: "INFO: [environment.cc:36] Creating ..."
    rb"|INFO: (?:Created|Initialized) TensorFlow Lite .*"   # TFLite: "INFO: Created TensorFlow Lite XNNPACK ..."
    rb"|WARNING: Logging before InitGoogle\(\) is written to STDERR"
    rb"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./+-]+:\d+\] .*"  # Abseil INFO / WARNING ("W0000 00:00:...")
)
_QUIET_OFF_ENV = "ETIQUETTE_MEDIAPIPE_LOGS"
_quiet_lock = threading.Lock()
_quiet_state: dict | None = None


def _pump(read_fd: int, out_fd: int, flushed: threading.Event) -> None:
    """Copy the pipe to the real stderr, dropping whole lines that match _NOISE."""
    pending = b""

    def emit(data: bytes) -> None:
        while data:
            try:
                n = os.write(out_fd, data)
            except InterruptedError:
                continue
            except OSError:
                return
            data = data[n:]

    while True:
        # A partial line is held back only while it could still become a noise line; give up after 0.2 s.
        ready, _, _ = select.select([read_fd], [], [], 0.2 if pending else None)
        if not ready:
            emit(pending)
            pending = b""
            continue
        try:
            chunk = os.read(read_fd, 65536)
        except InterruptedError:
            continue
        except OSError:
            chunk = b""
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        kept = []
        for line in lines:
            if line == _SENTINEL:
                flushed.set()
            elif not _NOISE.fullmatch(line.rstrip(b"\r")):
                kept.append(line + b"\n")
        if pending and (pending[:1] not in (b"I", b"W") or len(pending) > 4096):
            kept.append(pending)
            pending = b""
        if kept:
            emit(b"".join(kept))
    emit(pending)
    for fd in (read_fd, out_fd):
        try:
            os.close(fd)
        except OSError:
            pass
    flushed.set()


_SENTINEL = b"\x00etiquette-cv-stderr-flush\x00"


def _flush_quiet() -> None:
    """At exit: make sure everything written to stderr so far has been passed on."""
    state = _quiet_state
    if not state or not state["thread"].is_alive():
        return
    try:
        st = os.fstat(2)
    except OSError:
        return
    if (st.st_dev, st.st_ino) != state["pipe_id"]:
        return  # someone (e.g. pytest's capture) has put another file on fd 2 since: nothing of ours to flush
    state["flushed"].clear()
    try:
        os.write(2, _SENTINEL + b"\n")
    except OSError:
        return
    state["flushed"].wait(1.0)


def quiet_mediapipe() -> None:
    """Keep MediaPipe / LiteRT / TFLite INFO and WARNING lines off stderr (idempotent, cheap to call again).

    Call it before importing mediapipe (or at least before creating a landmarker). It

    * sets ``GLOG_minloglevel=2`` and ``TF_CPP_MIN_LOG_LEVEL=3`` if unset (honoured by older mediapipe and
      TensorFlow builds; mediapipe 1.2.3 ignores them);
    * on POSIX, routes file descriptor 2 through a filter thread that drops the native INFO/WARNING lines
      (``INFO: [environment.cc:36] ...``, ``W0000 00:00:... landmark_projection_calculator.cc:81] ...``, ...) and
      passes everything else on at once, native errors (``E...``/``F...``/``ERROR:``) included. Python's own
      ``sys.stderr`` is re-pointed straight at the real stderr (when nobody else, e.g. pytest, has replaced it),
      so tracebacks and progress output never go through the filter.

    Set ``ETIQUETTE_MEDIAPIPE_LOGS=1`` to see everything (the filter is then not installed).
    """
    global _quiet_state
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get(_QUIET_OFF_ENV, "").strip() not in ("", "0") or os.name != "posix":
        return
    with _quiet_lock:
        if _quiet_state is not None:
            return
        _quiet_state = {}
        try:
            try:
                sys.stderr.flush()
            except (AttributeError, OSError, ValueError):
                pass
            real_fd = os.dup(2)
            read_fd, write_fd = os.pipe()
            st = os.fstat(write_fd)
            os.dup2(write_fd, 2)
            os.close(write_fd)
        except OSError:
            return  # no usable stderr: nothing to filter
        flushed = threading.Event()
        thread = threading.Thread(target=_pump, args=(read_fd, real_fd, flushed),
                                  name="etiquette-cv-stderr-filter", daemon=True)
        thread.start()
        if sys.stderr is not None and sys.stderr is sys.__stderr__:
            try:
                same = sys.stderr.fileno() == 2
            except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
                same = False
            if same:
                old = sys.stderr
                sys.stderr = io.TextIOWrapper(
                    io.FileIO(os.dup(real_fd), "w"), encoding=old.encoding, errors=old.errors,
                    line_buffering=True, write_through=True)
        _quiet_state.update(thread=thread, flushed=flushed, pipe_id=(st.st_dev, st.st_ino))
        import atexit

        atexit.register(_flush_quiet)
