# The Makefile is the contract: CI runs `make test` (.ci/run), users run `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ZAITAKU := $(BIN)/zaitaku
DEMO_WAREHOUSE := data/demo.duckdb

.PHONY: install spark test lint format demo bench bench-spark clean lock wheelhouse

install: $(VENV)/.installed

# Exact pins live in requirements.lock; pip installs zaitaku itself in editable mode on top.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# `aggregate --engine spark` (and its parity test): pyspark, pinned in requirements-spark.lock, and
# Debian's Java 17 where no java is found (Spark 4 needs 17+; root and apt-get, as in CI).
spark: install $(VENV)/.spark-installed

$(VENV)/.spark-installed: requirements-spark.lock
	@if ! command -v java >/dev/null 2>&1 && [ -z "$$JAVA_HOME" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				openjdk-17-jre-headless >/dev/null; \
		else \
			echo "no java found: install Java 17+ (e.g. openjdk-17-jre-headless) or set JAVA_HOME"; \
			exit 1; \
		fi; \
	fi
	$(BIN)/pip install --quiet -r requirements-spark.lock
	touch $@

test: install
	# one BLAS thread: the disclosure attacker's SVDs (tests/disclosure_attack.py) spend minutes in
	# thread hand-offs otherwise (270 s vs 50 s on 2 cores); numpy may be imported before the package
	# sets it (zaitaku_cli/__init__.py)
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest

# ruff, the format check, mypy, and the SQL of sql/ transpiled to Spark (tools/check_sql.py).
lint: install
	$(BIN)/ruff check src tests benchmarks tools install
	$(BIN)/ruff format --check src tests benchmarks tools install
	$(BIN)/mypy
	$(BIN)/python tools/check_sql.py sql

format: install
	$(BIN)/ruff format src tests benchmarks tools install
	$(BIN)/ruff check --fix src tests benchmarks tools install

# The main job on the bundled sample data: every step is a plain zaitaku command, as an analyst
# would type it. Re-running it is safe: identical files are recognised and not loaded twice.
demo: install
	$(ZAITAKU) ingest facilities data/raw/bureau_tohoku_2025-10.xlsx -w $(DEMO_WAREHOUSE)
	$(ZAITAKU) ingest facility-counts data/raw/iwate_morioka_counts.csv --pref 03 -w $(DEMO_WAREHOUSE)
	$(ZAITAKU) ingest claims data/raw/kdb_claims_sample.csv -w $(DEMO_WAREHOUSE)
	$(ZAITAKU) ingest enrolment examples/enrolment.example.csv -w $(DEMO_WAREHOUSE)
	$(ZAITAKU) ingest survey examples/survey.example.csv -w $(DEMO_WAREHOUSE)
	$(ZAITAKU) ingest hubs examples/hubs.example.csv -w $(DEMO_WAREHOUSE)
	$(ZAITAKU) aggregate --by prefecture -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) aggregate --by secondary-area -w $(DEMO_WAREHOUSE) --out data/processed --xlsx
	$(ZAITAKU) aggregate --by municipality -w $(DEMO_WAREHOUSE) --out data/processed --xlsx
	$(ZAITAKU) aggregate --by ward -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) project --by prefecture -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) project --by secondary-area -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) project --by secondary-area --scenario examples/scenario.example.csv -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) project --by municipality -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) supply --by secondary-area --pref 03 -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) candidates --pref 03 -w $(DEMO_WAREHOUSE) --out data/processed
	$(ZAITAKU) report --pref 03 -w $(DEMO_WAREHOUSE) --out data/processed/report_03.html --png data/processed/report_03_png
	@echo "Report of 岩手県 (open it in a browser): $(abspath data/processed/report_03.html)"
	@echo "Workbooks (open them in Excel): $(abspath data/processed/municipality/municipality.xlsx) $(abspath data/processed/secondary_area/secondary_area.xlsx)"

# Benchmarks are not tests: they print wall time and peak memory against the issues' targets.
# bench_claims runs 10M lines by default (about 3 minutes with its baselines).
bench: install
	$(BIN)/pip install --quiet -r requirements-bench.lock
	$(BIN)/python benchmarks/run.py

# --engine spark at 10^5, 10^6 and 10^7 claim lines on local[2], against DuckDB (not in `make bench`:
# it needs Java and pyspark, and about 15 minutes).
bench-spark: spark
	$(BIN)/pip install --quiet -r requirements-bench.lock
	$(BIN)/python benchmarks/spark_scale.py

# Every wheel zaitaku needs on Windows x64 and Linux x64 (Python 3.11-3.14), plus install.bat
# and install.sh, in one folder to carry to PCs without internet (needs the registry; about
# 500 MB). One target only: $(BIN)/python install/wheelhouse.py --platform windows --python 3.12
WHEELHOUSE ?= wheelhouse
wheelhouse: install
	$(BIN)/python install/wheelhouse.py --out $(WHEELHOUSE)

# Regenerate requirements.lock from the ranges in pyproject.toml (needs the registry).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e '.[dev]'
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^zaitaku' > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) data/processed/* $(DEMO_WAREHOUSE) wheelhouse .pytest_cache .mypy_cache .ruff_cache
