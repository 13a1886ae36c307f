# The two commands a new user runs: `make demo` and `make test`.
# Both create or refresh .venv from the committed lock file first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

.PHONY: demo test lint bench bench-logs bench-runtime compare lock docs clean

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# doctor exits 1 because the shop has findings; the demo goes on to list its routes.
demo: $(STAMP)
	-$(BIN)/fastapi-medic doctor examples/shop
	$(BIN)/fastapi-medic routes examples/shop

# The PostgreSQL tests run against a throwaway server on 127.0.0.1 that the script installs
# (Debian packages) if missing, starts for the run and stops afterwards.
test: $(STAMP)
	bash scripts/with_postgres.sh $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# MB/s and peak memory of `fastapi-medic logs` on a generated ~1 GB log, next to grep.
bench-logs: $(STAMP)
	$(BIN)/python scripts/bench_logs.py

# Throughput and CPU per request of an app with and without the runtime probes; valgrind
# (installed from Debian packages when missing and possible) counts instructions per request.
bench-runtime: $(STAMP)
	@command -v valgrind >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; } \
		|| echo "valgrind is not available: the benchmark skips instruction counts"
	bash scripts/with_postgres.sh $(BIN)/python scripts/bench_runtime.py

# Scores us, Ruff and flake8-async on flake8-async's own fixtures (docs/compare.md).
# The first run downloads the flake8-async sdist and installs flake8 into .compare/.
compare: $(STAMP)
	$(BIN)/python scripts/compare.py

docs: $(STAMP)
	$(BIN)/python scripts/gen_rule_docs.py

# Regenerates the lock file (needs network access to PyPI and uv on PATH).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--universal --output-file $(LOCK) --quiet

clean:
	rm -rf $(VENV) .fastapi-medic-cache .pytest_cache .mypy_cache .ruff_cache
