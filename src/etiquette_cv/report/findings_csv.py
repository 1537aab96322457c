"""The findings CSV of a review: one row per finding, UTF-8 with a BOM so that Excel reads the Chinese."""

from __future__ import annotations

import csv
from pathlib import Path

from ..rules.findings import ReviewResult
from .findings_json import finding_to_dict
from .format import csv_number, threshold_display

CSV_COLUMNS = ["rule_id", "clause", "title_zh", "title_en", "verdict", "severity", "person", "visit_id", "start_s",
               "end_s", "duration_s", "measured_value", "measured_unit", "measured_uncertainty",
               "threshold", "threshold_source",
               "evidence_t_s", "evidence_frame_index", "evidence_image", "note", "wording_zh"]



def write_findings_csv(result: ReviewResult, path: str | Path, *, base_dir: str | Path | None = None) -> Path:
    """One row per finding (columns :data:`CSV_COLUMNS`), UTF-8 with a BOM so that Excel reads the Chinese."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base = Path(base_dir) if base_dir is not None else path.parent
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for f in result.findings:
            doc = finding_to_dict(f, base, path.parent)
            nd_measured = {"deg": 1, "s": 2, "m": 2}.get(f.measured_unit, 3)
            row = {k: ("" if doc.get(k) is None else doc[k]) for k in CSV_COLUMNS if k in doc}
            row.update({k: csv_number(getattr(f, k), 2) for k in ("start_s", "end_s", "duration_s", "evidence_t_s")})
            row.update(measured_value=csv_number(f.measured_value, nd_measured), threshold=threshold_display(f, "en"),
                       measured_uncertainty=csv_number(f.measured_uncertainty, nd_measured))
            writer.writerow(row)
    return path

