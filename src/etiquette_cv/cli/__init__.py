"""The `etiquette` command line: a thin layer over the library API, one module per command.

Exit codes (:mod:`.exit_codes`): 0 success; 1 the run finished but found nobody / nothing to grade; 2 bad input
(file, option, calibration, rulebook); 3 the input ended early (truncated file, dropped stream) — what was computed
is written.
"""

from __future__ import annotations


import typer

from ..people.config import PeopleConfig
from ..people.native_memory import limit_malloc_arenas
from .calibrate import calibrate
from .compare import compare
from .daily import daily, headoffice
from .pose import pose
from .regrade import regrade
from .review import review
from .score import score
from .store import store_app
from .watch import watch

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Service-counter etiquette inspector: pose tracks, calibration, review against the rulebook, "
                       "trainer mode (score a role-play against a scenario, compare attempts), live cameras into the "
                       "branch's event store, daily and head-office reports, fleet re-grading.")


@app.callback()
def _main() -> None:
    """Service-counter etiquette inspector."""
    # at the process's start, before any library's threads have taken heaps of their own (people/native_memory.py)
    limit_malloc_arenas(PeopleConfig().malloc_arenas)


app.command("pose")(pose)
app.command("review")(review)
app.command("calibrate")(calibrate)
app.command("score")(score)
app.command("compare")(compare)
app.command("watch")(watch)
app.add_typer(store_app, name="store")
app.command("daily")(daily)
app.command("headoffice")(headoffice)
app.command("regrade")(regrade)


def main() -> None:  # pragma: no cover - console-script entry
    app()
