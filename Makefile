# Two entry points (see README): `make run` and `make test`. Both create or refresh .venv
# from constraints.txt, so a fresh clone needs only python3 (>= 3.11), bash and make.
# `make run` installs the runtime only; the test tooling (pytest, mypy, ruff, playwright) comes
# with the first target that needs it (`make test`, `make demo`, `make bench`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench bench-club-day demo lock clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"

$(RUNTIME_STAMP): pyproject.toml setup.py constraints.txt | $(VENV)/bin/python
	$(PIP) -e .
	@touch $(RUNTIME_STAMP)

# The dev install includes the runtime, so it satisfies `make run` too.
$(STAMP): pyproject.toml setup.py constraints.txt | $(VENV)/bin/python
	$(PIP) -e ".[dev]"
	@touch $(RUNTIME_STAMP) $(STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/intervals-gateway serve

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The end-to-end flows (tests/e2e/) need chromium, Node 22 and MCP Inspector: installed here when
# possible (best effort; without them those flows skip, or fail when E2E_REQUIRED=1 as in CI).
pytest: $(STAMP)
	-@scripts/install-e2e-deps.sh
	$(BIN)/pytest $(PYTEST_ARGS)

# The fake Intervals.icu server and the gateway wired to it, with demo sign-ins (docs/development.md).
demo: $(STAMP)
	$(BIN)/python -m tests.demo $(DEMO_ARGS)

# Benchmarks (docs/benchmarks.md): SQLite and PostgreSQL, with a throwaway PostgreSQL server.
bench: $(STAMP)
	scripts/with-postgres.sh $(BIN)/python -m bench.run --db both $(BENCH_ARGS)
	$(BIN)/python -m bench.questions

# A scripted day of a 100-athlete club: upstream requests with and without the answer cache,
# staleness with and without webhooks (the "Club day" section of docs/benchmarks.md).
bench-club-day: $(STAMP)
	$(BIN)/python -m bench.club_day

# Re-resolve the pinned versions after changing dependencies in pyproject.toml.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -e ".[dev]"
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
