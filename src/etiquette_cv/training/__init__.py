"""Trainer mode: scenario files, the trainee's event stream, the scoring engine and the comparison of attempts."""
