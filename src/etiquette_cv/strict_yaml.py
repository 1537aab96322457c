"""The one strict reader of our YAML files (calibration, rulebook, scenario): typed reads with one-line errors.

Every error is ``<file>: <key.path>: <problem>``: it names the file, where in it, and what is wrong, and suggests the
close match of a misspelt key. Needs only numpy; pyyaml is imported when a YAML file is read, so that the scenario
module imports under Blender's own Python.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any

import numpy as np


def show(value: Any) -> str:
    """A short repr of a value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def join(where: str, key: object) -> str:
    """``where.key`` (just ``key`` at the top level)."""
    return f"{where}.{key}" if where else str(key)


def read_yaml_file(path: str | Path, error: type[Exception], source: str | None = None) -> Any:
    """The parsed content of a UTF-8 YAML file; problems raise ``error`` with a one-line message starting with
    ``source`` (default: the file name)."""
    path = Path(path)
    name = source or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{name}: file not found (no such file: {path})") from None
    except UnicodeDecodeError as exc:
        raise error(f"{name}: not a UTF-8 text file (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise error(f"{name}: cannot read the file {path} ({exc.strerror or exc})") from None
    try:
        import yaml  # noqa: PLC0415 - only here, so that numpy-only users (Blender) can import this module
    except ImportError:
        raise error(f"{name}: reading YAML needs pyyaml (pip install pyyaml)") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise error(f"{name}: not valid YAML{where}: {problem}") from None


class StrictReader:
    """Typed reads of a parsed document; each method returns the value or raises ``error`` naming ``where``."""

    def __init__(self, source: str, error: type[Exception] = ValueError) -> None:
        self.source = source
        self.error = error

    def fail(self, where: str, problem: str) -> Exception:
        """The error to raise: ``source: where: problem``."""
        return self.error(f"{self.source}: {where}: {problem}" if where else f"{self.source}: {problem}")

    def mapping(self, where: str, value: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        """A mapping with no keys outside ``allowed`` + ``required`` and every key of ``required``."""
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {show(value)}")
        names = tuple(allowed) + tuple(k for k in required if k not in allowed)
        for key in value:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(names)})"
                raise self.fail(join(where, key), f"unknown key{hint}")
        for key in required:
            if key not in value:
                raise self.fail(join(where, key), "missing required key")
        return value

    def number(self, where: str, value: Any, *, positive: bool = False, lo: float | None = None,
               hi: float | None = None, lo_open: bool = False) -> float:
        """A finite number (not a bool), optionally positive, ``>= lo`` (``> lo`` with ``lo_open``), ``<= hi``."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(where, f"expected a number, got {show(value)}")
        x = float(value)
        if positive and x <= 0:
            raise self.fail(where, f"expected a positive number, got {show(value)}")
        if lo is not None and (x < lo or (lo_open and x <= lo)):
            raise self.fail(where, f"expected a number {'>' if lo_open else '>='} {lo:g}, got {x:g}")
        if hi is not None and x > hi:
            raise self.fail(where, f"expected a number <= {hi:g}, got {x:g}")
        return x

    def integer(self, where: str, value: Any, *, lo: int | None = None) -> int:
        """A whole number (a float with no fraction is accepted), optionally ``>= lo``."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer, got {show(value)}")
        if lo is not None and value < lo:
            raise self.fail(where, f"expected an integer >= {lo}, got {value}")
        return int(value)

    def text(self, where: str, value: Any) -> str:
        """A non-empty string."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected non-empty text, got {show(value)}")
        return value

    def choice(self, where: str, value: Any, choices: tuple[str, ...]) -> str:
        """One of ``choices``."""
        if not isinstance(value, str) or value not in choices:
            options = (" or ".join(repr(c) for c in choices) if len(choices) <= 2
                       else "one of " + ", ".join(repr(c) for c in choices))
            raise self.fail(where, f"expected {options}, got {show(value)}")
        return value

    def listing(self, where: str, value: Any) -> list:
        """A list."""
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {show(value)}")
        return value

    def vector(self, where: str, value: Any, names: tuple[str, ...] | int) -> np.ndarray:
        """A list of finite numbers: as many as ``names`` (e.g. ("x", "y")) or exactly ``names`` of them."""
        n = names if isinstance(names, int) else len(names)
        ok = isinstance(value, (list, tuple)) and len(value) == n and all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in value)
        if not ok:
            form = f"a list of {n} numbers" if isinstance(names, int) else "[" + ", ".join(names) + "] numbers"
            raise self.fail(where, f"expected {form}, got {show(value)}")
        return np.array(value, dtype=float)

    def points(self, where: str, value: Any, names: tuple[str, ...], min_count: int) -> np.ndarray:
        """A list of at least ``min_count`` points, each a :meth:`vector` of ``names``; shape (N, len(names))."""
        if not isinstance(value, (list, tuple)):
            raise self.fail(where, f"expected a list of [{', '.join(names)}] points, got {show(value)}")
        if len(value) < min_count:
            raise self.fail(where, f"expected at least {min_count} points, got {len(value)}")
        return np.array([self.vector(f"{where}[{i}]", p, names) for i, p in enumerate(value)], dtype=float)
