"""The import graph of the package, from its source (AST, nothing is imported): fails on an import cycle or on a
stage importing a later stage.

    python tools/import_graph.py [src/etiquette_cv] [--print]

Every import counts, including those inside functions and under ``TYPE_CHECKING``. A module's stage is its first
name under the package (``geometry`` for ``etiquette_cv.geometry.camera``); :data:`STAGES` lists them in the one
direction data flows. A module may import modules of its own stage and of earlier stages only. Exit status 1 with
one line per problem, 0 when the graph is clean.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

PACKAGE = "etiquette_cv"
STAGES: tuple[tuple[str, ...], ...] = (
    ("__init__", "core", "strict_yaml", "timeseries", "models"),  # shared types and helpers
    ("sim",),          # synthetic scenes (numpy only: the Blender renderer imports it)
    ("io",),           # video sources, frames, sinks, the tracks file format
    ("geometry",),     # polylines, calibration, camera model and solver, floor positions
    ("people",),       # detector, tracker, landmarker, roles
    ("posture",),      # filters, trunk fit, limbs, stance, clerk and customer series
    ("events",),       # hysteresis, bends, approaches
    ("rules",),        # rulebook, graders, grading, findings
    ("scene",),        # scene checks: counter clutter, floor debris, lighting, staff in the waiting area
    ("service_times",),  # waiting and handling times, DB 表2 averages, queue tickets
    ("training",),     # trainer mode: scenarios, the trainee's events, scoring, comparing attempts
    ("store",),        # the event store (SQLite, PostgreSQL): visits, findings, states, coverage gaps
    ("annotators",),   # drawing (decides nothing)
    ("report",),       # JSON, CSV, HTML, terminal, evidence keyframes
    ("pipeline",),     # the jobs: people run, analysis, review
    ("cli",),          # the command line
)
STAGE_OF = {name: i for i, names in enumerate(STAGES) for name in names}


def module_name(path: Path, root: Path) -> str:
    """Dotted module name of a file under the package root (``__init__.py`` names its package)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports (resolved relative imports; ``from x import y`` counts as
    ``x.y`` when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    base = module.split(".") if is_package else module.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[:len(base) - node.level + 1]
                prefix = ".".join(anchor + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:  # ``import etiquette_cv.x.y`` of a name inside a module
                t = t.rpartition(".")[0]
            if t and t.split(".")[0] == PACKAGE:
                out.add(t)
    out.discard(module)
    return out


def build_graph(root: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(files)
    return {m: imports_of(p, m, p.name == "__init__.py", known) for m, p in files.items()}


def stage(module: str) -> str:
    """The stage of a module: its first name under the package (``__init__`` for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(1000, 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def problems(root: Path) -> list[str]:
    """One line per import cycle, backward stage import, or module in no stage."""
    graph = build_graph(root)
    out = [f"import cycle: {' → '.join(c)}" for c in cycles(graph)]
    for m, targets in sorted(graph.items()):
        if stage(m) not in STAGE_OF:
            out.append(f"{m}: stage {stage(m)!r} is not in tools/import_graph.py STAGES")
            continue
        for t in sorted(targets):
            if stage(t) in STAGE_OF and stage(t) != stage(m) and STAGE_OF[stage(t)] > STAGE_OF[stage(m)]:
                out.append(f"{m} imports {t}: stage {stage(m)} must not import the later stage {stage(t)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1] / "src" / PACKAGE))
    ap.add_argument("--print", action="store_true", help="also print each module's imports")
    args = ap.parse_args(argv)
    root = Path(args.root)
    if args.print:
        for m, targets in sorted(build_graph(root).items()):
            print(f"{m}: {', '.join(sorted(targets)) or '-'}")
    found = problems(root)
    for line in found:
        print(line)
    if not found:
        print(f"{root}: no import cycle, no backward stage import")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
