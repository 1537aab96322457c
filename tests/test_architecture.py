"""The package's shape: one direction of imports between stages, no cycle, no god-module, no god-function."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "etiquette_cv"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100


def test_no_import_cycle_and_no_backward_stage_import():
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "import_graph.py"), str(SRC)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_import_graph_catches_a_cycle_and_a_backward_import(tmp_path):
    pkg = tmp_path / "etiquette_cv"
    (pkg / "geometry").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "geometry" / "__init__.py").write_text("")
    (pkg / "geometry" / "a.py").write_text("from .b import x\nfrom ..report import y\n")
    (pkg / "geometry" / "b.py").write_text("def f():\n    from .a import z\n")
    (pkg / "report.py").write_text("")
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "import_graph.py"), str(pkg)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert "import cycle: etiquette_cv.geometry.a → etiquette_cv.geometry.b" in proc.stdout
    assert "etiquette_cv.geometry.a imports etiquette_cv.report" in proc.stdout


def test_no_module_over_600_lines_and_no_function_over_100_lines():
    too_long = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(SRC.parent)
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{rel}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel}:{node.lineno} {node.name}(): {n} lines")
    assert not too_long, "\n".join(too_long)
