"""The jobs as library calls: the people run (video → tracks file) and the review (→ findings, reports)."""

from .analysis import analyse
from .people_run import PoseRunSummary, floor_model_for, run_people
from .review_run import ReviewOutputs, review

__all__ = ["PoseRunSummary", "ReviewOutputs", "analyse", "floor_model_for", "review", "run_people"]
