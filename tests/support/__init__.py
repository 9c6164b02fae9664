"""Helpers for the fault tests and bench/fault_trial.py: a TCP proxy that can cut the database away, a worker
started as a real process against the test database, an e-mail backend a killed process leaves countable, the
processes below a supervisor."""
