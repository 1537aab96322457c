"""Shared by the people stage's end-to-end tests (a plain module, not a conftest): the rendered people set's tuning
clips, and who the stage found where a truth person stood."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.io.tracks import read_tracks
from etiquette_cv.io.video import VideoSource
from etiquette_cv.people.boxes import iou
from etiquette_cv.pipeline import run_people

SET = Path(__file__).resolve().parents[2] / "benchmarks" / "people_set" / "tuning"


def found_as(tmp_path, name: str, person: str, start_s: float, end_s: float, min_iou: float,
              config=None) -> list[tuple]:
    """The people stage on tuning clip ``name`` from ``start_s`` to ``end_s``; per truth frame from half a second in,
    (time s, track id, role, station) of every person found whose box overlaps the truth ``person``'s by
    ``min_iou`` or more (filled into a gap of their track or not: a person hidden behind ``person`` is filled in
    where they are, overlapping her)."""
    truth = json.loads((SET / f"{name}.gt.json").read_text())
    out = tmp_path / f"{name}.jsonl"
    run_people(VideoSource(SET / f"{name}.mp4", analysis_fps=10.0, start_s=start_s, end_s=end_s), out,
               load_calibration(SET / f"{name}.yaml"), config)
    found = {f.frame_index: f for f in read_tracks(out).frames}
    seen = []
    for fr in truth["frames"]:
        who = fr["persons"].get(person)
        if not start_s + 0.5 <= fr["t_s"] <= end_s or fr["index"] not in found or who is None \
                or who.get("bbox_px") is None:
            continue
        box = np.asarray(who["bbox_px"], float)
        seen += [(round(fr["t_s"], 1), p.track_id, p.role, p.station) for p in found[fr["index"]].persons
                 if p.landmarks_source != "interpolated" and iou(box, np.asarray(p.box_xyxy_px if p.box_xyxy_px is not None else p.bbox_px(), float))
                 >= min_iou]
    return seen
