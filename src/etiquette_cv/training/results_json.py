"""``score.json``: a scored attempt as JSON (schema ``etiquette-cv/score``, version 1), and reading it back for
``etiquette compare`` and the history page.

Times in seconds, angles in degrees; ``NaN`` and unknown values are ``null``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .results import ScoreResult, StepResult
from .stream import TraineeEvent, TraineeEvents

SCHEMA = "etiquette-cv/score"
VERSION = 1


class ScoreFileError(ValueError):
    """A score.json that cannot be read; the message names the file and the problem."""


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, 4)
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def score_to_dict(result: ScoreResult, events: TraineeEvents | None = None) -> dict:
    """The attempt as plain JSON-ready data (with the trainee's events and angle curve when given)."""
    steps = []
    for s in result.steps:
        d = asdict(s)
        d["delay_s"] = s.delay_s
        d["evidence_t_s"] = s.evidence_t_s
        steps.append(d)
    out = {"schema": SCHEMA, "version": VERSION, "scenario": result.scenario,
           "scenario_title_zh": result.scenario_title_zh, "scenario_title_en": result.scenario_title_en,
           "source": result.source, "duration_s": result.duration_s, "score_pct": result.score_pct,
           "points_awarded": result.points_awarded, "points_possible": result.points_possible,
           "notes": result.notes, "notes_zh": result.notes_zh, "steps": steps,
           "to_avoid": [asdict(e) for e in result.to_avoid]}
    if events is not None:
        out["cues"] = events.cues
        out["cue_problems"] = events.cue_problems
        out["events"] = [asdict(e) for e in sorted(events.events, key=lambda e: e.t_s)]
        out["angle_curve"] = {"t_s": [float(x) for x in events.t_s], "flexion_deg": [float(x) for x in
                                                                                      events.flexion_deg]}
    return _clean(out)


def write_score_json(result: ScoreResult, events: TraineeEvents | None, path: str | Path) -> Path:
    """Write ``score.json`` (UTF-8) and return its path."""
    p = Path(path)
    p.write_text(json.dumps(score_to_dict(result, events), ensure_ascii=False, indent=1), encoding="utf-8")
    return p


def _nan(v: Any) -> float:
    return float("nan") if v is None else float(v)


def _event(d: dict | None) -> TraineeEvent | None:
    if d is None:
        return None
    return TraineeEvent(d["kind"], d["t_s"], d["start_s"], d["end_s"], _nan(d.get("peak_angle_deg")),
                        _nan(d.get("peak_t_s")), _nan(d.get("angle_uncertainty_deg")), _nan(d.get("hold_s")),
                        bool(d.get("peak_hidden", False)), _nan(d.get("time_uncertainty_s")),
                        bool(d.get("angle_measured", True)), bool(d.get("angle_at_least", False)))


def read_score_json(path: str | Path) -> ScoreResult:
    """A scored attempt read back from ``score.json``; raises :class:`ScoreFileError` naming the file."""
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScoreFileError(f"{p}: file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScoreFileError(f"{p}: not a score.json file ({exc})") from None
    if not isinstance(d, dict) or d.get("schema") != SCHEMA:
        raise ScoreFileError(f"{p}: not a score.json file (schema is not {SCHEMA!r})")
    if d.get("version") != VERSION:
        raise ScoreFileError(f"{p}: version {d.get('version')!r} is not supported (expected {VERSION})")
    names = {f.name for f in fields(StepResult)}
    try:
        steps = []
        for s in d["steps"]:
            kw = {k: v for k, v in s.items() if k in names}
            kw["event"] = _event(s.get("event"))
            for k in ("issues",):
                kw[k] = tuple(kw.get(k) or ())
            for k in ("window_s", "band_deg", "duration_bounds_s", "anchor_span_s"):
                if kw.get(k) is not None:
                    kw[k] = tuple(kw[k])
            steps.append(StepResult(**kw))
        avoided = [e for e in (_event(x) for x in d.get("to_avoid") or []) if e is not None]
        return ScoreResult(d["scenario"], d["scenario_title_zh"], d["scenario_title_en"], d["source"],
                           float(d["duration_s"]), steps, list(d.get("notes", [])), list(d.get("notes_zh", [])),
                           avoided)
    except (KeyError, TypeError, ValueError) as exc:
        raise ScoreFileError(f"{p}: a step or field is missing or malformed ({exc})") from None
