"""Reports of a review: findings JSON and CSV, the HTML page, the terminal summary, evidence keyframes.

``base_dir`` arguments are the directory the result's ``evidence_image`` paths are relative to; they default to the
directory the file is written into. Paths written out are always relative to the written file's directory.
"""

from .findings_csv import CSV_COLUMNS, write_findings_csv
from .findings_json import (SCHEMA, SCHEMA_VERSION, read_findings_json, result_from_dict, result_to_dict,
                            write_findings_json)
from .format import fmt_clock, fmt_duration, fmt_measured, reception_kind, threshold_display, worst_finding
from .page import render_report_html, write_report_html
from .terminal import summary_table

__all__ = ["CSV_COLUMNS", "SCHEMA", "SCHEMA_VERSION", "fmt_clock", "fmt_duration", "fmt_measured", "read_findings_json",
           "reception_kind", "render_report_html", "result_from_dict", "result_to_dict", "summary_table",
           "threshold_display", "worst_finding", "write_findings_csv", "write_findings_json", "write_report_html"]
