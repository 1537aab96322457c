"""Posture: signal filters, the trunk fit and its solver, limbs, the stance machine, clerk and customer series."""
