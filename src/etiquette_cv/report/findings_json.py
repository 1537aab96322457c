"""The findings JSON of a review: writing and reading it back.

Public API

``base_dir`` is the directory the result's ``evidence_image`` paths are relative to; it defaults to the directory
the file is written into (the "report directory"). Paths written out are always relative to the written file's
directory.

Findings JSON schema (``etiquette-cv/findings``, version 1)
-----------------------------------------------------------
One UTF-8 JSON object; times are seconds from the start of the video, rounded to the millisecond; angles in degrees;
``null`` wherever a value is unknown or was not measurable (NaN is never written)::

    {
      "schema": "etiquette-cv/findings",     # constant; readers must check it
      "version": 1,                          # bumped on incompatible changes; readers refuse newer versions
      "generated_at": "2026-11-25T04:00:00+00:00",
      "source": "counter3.mp4",              # what was reviewed
      "duration_s": 612.4,                   # length of the part that was read
      "analysed_frames": 6124,
      "image_size": {"width": 1920, "height": 1080},
      "rulebook": {"name": "...", "version": "...", "near_m": 2.0},
      "score": 83.33 | null,                 # share of graded occasions that met their rule, 0-100
      "problem": "..." | null,               # set when the input ended early (partial review)
      "coverage": {"visible_s": {"clerk": 600.1, "customer#3": 88.0},
                   "assessable_rules": ["CC-2.6-stand-greet", ...],
                   "not_assessable_rules": {"DB-6.2-bow-form": "legs not visible from this camera"}},
      "visits": [{"visit_id": 1, "customer": "customer#3", "arrive_s": 12.0, "leave_s": 95.5,
                  "at_counter_s": 14.2, "wait_s": null, "handling_s": 83.5, "left_view": false,
                  "station": "A" | null, "min_distance_m": 0.45 | null,    # nearest to the counter edge
                  "last_inside_s": 95.4 | null,                               # last seen within near_m
                  "pass_by": "the customer passed by: …" | null}],            # no transaction, 2 m rules n/a
      "states": [{"person": "clerk", "state": "sit", "start_s": 0.0, "end_s": 12.8}],
      "findings": [{"rule_id": "CC-2.6-stand-greet", "clause": "...", "wording_zh": "...",
                    "title_en": "...", "title_zh": "...",
                    "verdict": "met|late|missed|violation|not_applicable|not_assessable|info",
                    "severity": "info|minor|major",
                    "start_s": 12.0, "end_s": 15.1, "duration_s": 3.1, "person": "clerk",
                    "measured_value": 3.1 | null, "measured_unit": "s|deg|m|",
                    "measured_uncertainty": 1.8 | null,      # ± in the same unit (bows: from the view)
                    "threshold_text": "≤ 3.0 s", "threshold_value": 3.0 | null,
                    "threshold_source": "standard|default",
                    "evidence_t_s": 14.9 | null, "evidence_frame_index": 372 | null,
                    "evidence_image": "keyframes/f001.jpg" | null,   # relative to the JSON file's directory
                    "visit_id": 1 | null, "note": "...",
                    "rule_kind": "stand_greet|stand_send_off|bow_expected|..."}],  # "" in older files
      "bow_peaks": [{"t_s": 13.2, "peak_deg": 16.5, "class": "greet", "person": "clerk"}],
      "series": [{"name": "trunk_flexion_deg", "unit": "deg", "t_s": [...], "values": [... null ...]}]
                                             # only with include_series=True
    }

``duration_s`` of a finding is derived (``end_s - start_s``) and ignored when reading.

HTML page
---------
One file with no network references: inline CSS, plots as inline SVG, keyframes as base64 data URIs (with
``images_inline=False`` the keyframes are linked by relative path instead, and the page is no longer
self-contained). No scripts. Sections: header (+ partial-input banner), summary, timeline, clerk trunk-angle plot,
visits, finding cards (anchor targets ``#finding-N`` of the timeline markers), coverage, how to read the verdicts.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..rules.findings import Coverage, Finding, ReviewResult, Series, Severity, StateInterval, Verdict, Visit
from .format import as_verdict, json_number, rel_path

SCHEMA = "etiquette-cv/findings"
SCHEMA_VERSION = 1


def finding_to_dict(f: Finding, base_dir: Path, out_dir: Path) -> dict:
    """A finding as its findings-JSON object (times in seconds, ``None`` for unknown values)."""
    return {
        "rule_id": f.rule_id,
        "clause": f.clause,
        "wording_zh": f.wording_zh,
        "title_en": f.title_en,
        "title_zh": f.title_zh,
        "verdict": as_verdict(f.verdict).value,
        "severity": Severity(f.severity).value,
        "start_s": json_number(f.start_s),
        "end_s": json_number(f.end_s),
        "duration_s": json_number(f.duration_s),
        "person": f.person,
        "measured_value": json_number(f.measured_value),
        "measured_unit": f.measured_unit,
        "measured_uncertainty": json_number(f.measured_uncertainty),
        "threshold_text": f.threshold_text,
        "threshold_value": json_number(f.threshold_value),
        "threshold_source": f.threshold_source,
        "evidence_t_s": json_number(f.evidence_t_s),
        "evidence_frame_index": None if f.evidence_frame_index is None else int(f.evidence_frame_index),
        "evidence_image": rel_path(f.evidence_image, base_dir, out_dir),
        "visit_id": None if f.visit_id is None else int(f.visit_id),
        "note": f.note,
        "rule_kind": f.rule_kind,
    }


def result_to_dict(result: ReviewResult, *, base_dir: str | Path = ".", out_dir: str | Path = ".",
                   include_series: bool = False, generated: datetime | None = None) -> dict:
    """The findings-JSON object of ``result`` (see the module docstring for the schema)."""
    base_dir, out_dir = Path(base_dir), Path(out_dir)
    generated = generated or datetime.now(timezone.utc)
    cov = result.coverage
    doc = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "generated_at": generated.isoformat(timespec="seconds"),
        "source": result.source,
        "duration_s": json_number(result.duration_s),
        "analysed_frames": int(result.analysed_frames),
        "image_size": {"width": int(result.image_width), "height": int(result.image_height)},
        "rulebook": {"name": result.rulebook_name, "version": result.rulebook_version,
                     "near_m": json_number(result.near_m)},
        "score": json_number(result.score, 2),
        "problem": result.problem,
        "coverage": {
            "visible_s": {k: json_number(v) for k, v in cov.visible_s.items()},
            "assessable_rules": list(cov.assessable_rules),
            "not_assessable_rules": dict(cov.not_assessable_rules),
        },
        "visits": [{"visit_id": int(v.visit_id), "customer": v.customer, "arrive_s": json_number(v.arrive_s),
                    "leave_s": json_number(v.leave_s), "at_counter_s": json_number(v.at_counter_s),
                    "wait_s": json_number(v.wait_s), "handling_s": json_number(v.handling_s),
                    "left_view": bool(v.left_view), "station": v.station,
                    "min_distance_m": json_number(v.min_distance_m),
                    "last_inside_s": json_number(v.last_inside_s), "pass_by": v.pass_by} for v in result.visits],
        "states": [{"person": s.person, "state": s.state, "start_s": json_number(s.start_s),
                    "end_s": json_number(s.end_s)} for s in result.states],
        "findings": [finding_to_dict(f, base_dir, out_dir) for f in result.findings],
        "bow_peaks": [{"t_s": json_number(t), "peak_deg": json_number(deg, 2), "class": cls, "person": who}
                      for t, deg, cls, who in result.bow_peaks],
    }
    if include_series:
        doc["series"] = [{"name": s.name, "unit": s.unit, "t_s": [json_number(t) for t in np.asarray(s.t_s, float)],
                          "values": [json_number(v) for v in np.asarray(s.values, float)]} for s in result.series]
    return doc


def write_findings_json(result: ReviewResult, path: str | Path, *, base_dir: str | Path | None = None,
                        include_series: bool = False, generated: datetime | None = None) -> Path:
    """Write the versioned findings JSON (schema in the module docstring); returns the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = result_to_dict(result, base_dir=base_dir if base_dir is not None else path.parent, out_dir=path.parent,
                         include_series=include_series, generated=generated)
    text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def result_from_dict(doc: dict) -> ReviewResult:
    """A :class:`ReviewResult` from a findings-JSON object; raises ValueError on another schema or a newer version."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else None
        raise ValueError(f"not an etiquette-cv findings file (schema {found!r}, expected {SCHEMA!r})")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1 or version > SCHEMA_VERSION:
        raise ValueError(f"findings file version {version!r} is not supported (this etiquette-cv reads version "
                         f"{SCHEMA_VERSION}; a newer file needs a newer etiquette-cv)")
    cov = doc.get("coverage") or {}
    size = doc.get("image_size") or {}
    rulebook = doc.get("rulebook") or {}
    findings = []
    for d in doc.get("findings", []):
        findings.append(Finding(
            rule_id=d["rule_id"], clause=d.get("clause", ""), wording_zh=d.get("wording_zh", ""),
            title_en=d.get("title_en", ""), title_zh=d.get("title_zh", ""), verdict=Verdict(d["verdict"]),
            severity=Severity(d.get("severity", "info")), start_s=float(d["start_s"]), end_s=float(d["end_s"]),
            person=d.get("person", ""), measured_value=d.get("measured_value"),
            measured_unit=d.get("measured_unit", ""), measured_uncertainty=d.get("measured_uncertainty"),
            threshold_text=d.get("threshold_text", ""),
            threshold_value=d.get("threshold_value"), threshold_source=d.get("threshold_source", "default"),
            evidence_t_s=d.get("evidence_t_s"), evidence_frame_index=d.get("evidence_frame_index"),
            evidence_image=d.get("evidence_image"), visit_id=d.get("visit_id"), note=d.get("note", ""),
            rule_kind=d.get("rule_kind", "")))
    series = [Series(name=s["name"], unit=s.get("unit", ""), t_s=np.array([_nan(t) for t in s["t_s"]], float),
                     values=np.array([_nan(v) for v in s["values"]], float)) for s in doc.get("series", [])]
    return ReviewResult(
        source=doc.get("source", ""),
        duration_s=float(doc.get("duration_s") or 0.0),
        analysed_frames=int(doc.get("analysed_frames") or 0),
        image_width=int(size.get("width") or 0),
        image_height=int(size.get("height") or 0),
        findings=findings,
        visits=[Visit(visit_id=int(v["visit_id"]), customer=v.get("customer", ""), arrive_s=v.get("arrive_s"),
                      leave_s=v.get("leave_s"), at_counter_s=v.get("at_counter_s"), wait_s=v.get("wait_s"),
                      left_view=bool(v.get("left_view", False)), station=v.get("station"),
                      min_distance_m=v.get("min_distance_m"), last_inside_s=v.get("last_inside_s"),
                      pass_by=v.get("pass_by"))
                for v in doc.get("visits", [])],
        states=[StateInterval(person=s["person"], state=s["state"], start_s=float(s["start_s"]),
                              end_s=float(s["end_s"])) for s in doc.get("states", [])],
        series=series,
        bow_peaks=[(float(b["t_s"]), float(b["peak_deg"]), str(b.get("class", "")), str(b.get("person", "clerk")))
                   for b in doc.get("bow_peaks", [])],
        coverage=Coverage(visible_s={k: float(v) for k, v in (cov.get("visible_s") or {}).items() if v is not None},
                          assessable_rules=list(cov.get("assessable_rules") or []),
                          not_assessable_rules=dict(cov.get("not_assessable_rules") or {})),
        rulebook_name=rulebook.get("name", ""),
        rulebook_version=rulebook.get("version", ""),
        near_m=float(rulebook.get("near_m") or 2.0),
        problem=doc.get("problem"),
    )


def read_findings_json(path: str | Path) -> ReviewResult:
    """Read a findings JSON back into a :class:`ReviewResult` (series only if they were written).

    ``evidence_image`` paths stay relative to the JSON file's directory.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    try:
        return result_from_dict(doc)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: malformed findings file ({exc!r})") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc

