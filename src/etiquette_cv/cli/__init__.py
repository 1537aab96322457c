"""The `etiquette` command line: a thin layer over the library API, one module per command.

Exit codes (:mod:`.exit_codes`): 0 success; 1 the run finished but found nobody / nothing to grade; 2 bad input
(file, option, calibration, rulebook); 3 the input ended early (truncated file, dropped stream) — what was computed
is written.
"""

from __future__ import annotations


import typer

from .calibrate import calibrate
from .pose import pose
from .review import review
from .watch import watch

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Service-counter etiquette inspector: pose tracks, calibration, review against the rulebook.")


@app.callback()
def _main() -> None:
    """Service-counter etiquette inspector."""


app.command("pose")(pose)
app.command("review")(review)
app.command("calibrate")(calibrate)
app.command("watch")(watch)


def main() -> None:  # pragma: no cover - console-script entry
    app()
