"""Rules: the rulebook (model and loading), the graders (one per rule kind), grading, and the findings."""
