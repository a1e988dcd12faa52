"""Benchmarks that print figures (no assertions): ``python -m bench [timeline|cohort|all]``."""
