"""``python -m etiquette_cv.cli``."""

from . import app

app()
