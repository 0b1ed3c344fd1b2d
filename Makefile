# pulse: `make demo` and `make test` do all set-up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.11 python3.12 python3.10 python3; do command -v $$p >/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
# Two install stamps, each redone only when pyproject.toml changes: the demo needs the runtime
# alone; lint and pytest need the dev extras and spark (tests/test_runners.py runs the spark runner).
# The dev install is a superset, so it marks the runtime one done too.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
EXPLORE := $(VENV)/.installed-explore
# The demo: nine weeks of a growing product, long enough for every mart, analysis and monitor
# to hold real content (the volume monitor scores a day against the same weekday of 3+ earlier
# weeks). It ends yesterday (UTC), the newest batch a real pipeline could have on a given day,
# so `dbt source freshness` judges it as live data. DEMO_ANOMALY plants one incident on the
# last day for the monitor to find: the run ends with that one alert and no other (set it
# empty for a quiet run). Give DEMO_START to reproduce a fixed run (e.g. DEMO_START=2026-10-01).
DEMO_DAYS ?= 63
DEMO_START ?= $(shell $(PYTHON) -c "import datetime as d; print(d.datetime.now(d.timezone.utc).date() - d.timedelta(days=$(DEMO_DAYS)))")
DEMO_USERS ?= 1500
DEMO_END := $(shell $(PYTHON) -c "import datetime as d; print(d.date.fromisoformat('$(DEMO_START)') + d.timedelta(days=$(DEMO_DAYS) - 1))")
DEMO_ANOMALY ?= $(DEMO_END):task_created:0.4
# The demo's monitor settings (monitor/demo.yml): its whole history is published in one run at
# whatever hour it is started, so its publish deadline is the end of the day after the batch.
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))

.PHONY: install demo test lint pytest bench soak clean

define venv
	@$(PYTHON) -c "import sys; assert (3, 10) <= sys.version_info[:2] < (3, 13), 'pulse needs Python 3.10-3.12, found ' + sys.version"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
endef

$(RUNTIME): pyproject.toml
	$(venv)
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEV): pyproject.toml
	$(venv)
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	$(BIN)/python -m pip install -q --no-deps 'gbstats==0.8.0'
	touch $@ $(RUNTIME) $(EXPLORE)

# bench/explore_speed.py times the explorer's figures too: the explore extra (dash, plotly).
$(EXPLORE): pyproject.toml
	$(venv)
	$(BIN)/python -m pip install -q -e '.[explore]'
	touch $@

install: $(DEV)

demo: $(RUNTIME)
	$(BIN)/pulse generate --out data/raw --start $(DEMO_START) --days $(DEMO_DAYS) --users $(DEMO_USERS) --seed 42 \
		$(if $(DEMO_ANOMALY),--anomaly $(DEMO_ANOMALY))
	PULSE_MONITOR_CONFIG=$${PULSE_MONITOR_CONFIG:-$(ROOT)monitor/demo.yml} \
		$(BIN)/pulse run --raw data/raw --lake data/lake --from $(DEMO_START) --to $(DEMO_END) --target duckdb
	$(BIN)/pulse summary --target duckdb

lint: $(DEV)
	$(BIN)/ruff check .
	SQLFLUFF=$(BIN)/sqlfluff .ci/lint-sql

pytest: $(DEV)
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=25

test: lint pytest

# Speed targets live here, never in timed tests; figures go to docs/benchmarks.md.
# The benches import only pulse and its runtime dependencies (explore_speed.py: and the explore
# extra); the engines' soak is a pytest run (the dev extras).
bench: $(RUNTIME) $(EXPLORE) soak
	$(BIN)/python bench/ingest_speed.py --events 1000000 --events 4000000 --run-events 1000000
	$(BIN)/python bench/backfill.py --pulse-run
	$(BIN)/python bench/incremental_cost.py
	$(BIN)/python bench/experiments.py
	$(BIN)/python bench/monitors.py
	$(BIN)/python bench/explore_speed.py

# The differential soak of the two ingest engines: tests/test_ingest_engines.py's generated
# corpora, SOAK_EXAMPLES of them instead of make test's 60 (0.3-0.5 s each: 5-8 minutes on 2 cores).
SOAK_EXAMPLES ?= 1000
soak: $(DEV)
	PULSE_DIFF_EXAMPLES=$(SOAK_EXAMPLES) $(BIN)/python -m pytest tests/test_ingest_engines.py \
		-k generated_lines -n 0 -p no:randomly -q -p no:cacheprovider

clean:
	rm -rf data target logs .pytest_cache
