"""Training rules with no I/O: structured workouts and the write guardrails (issue 15)."""
