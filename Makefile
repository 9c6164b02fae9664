# Gongzhi 共治 — `make run` serves the product with the demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The suite runs on every core (pytest-xdist); PYTEST_ARGS= runs it in one process, PYTEST_ARGS=tests/x picks.
PYTEST_ARGS ?= -n auto

.PHONY: setup run test bench clean-db mutation

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo --if-empty
	PORT=$(PORT) bin/serve

test: setup
	bin/install-test-deps
	$(PY) -m ruff check .
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/import_bench.py
	$(PY) bench/home_bench.py
	$(PY) bench/stations_bench.py

# Mutation testing of the rules (bin/mutation --list); long, not part of make test or CI. AREAS="crypto workdays" picks some.
mutation: setup
	$(PY) bin/mutation $(AREAS)

clean-db:
	rm -f var/gongzhi.sqlite3 var/gongzhi.sqlite3-wal var/gongzhi.sqlite3-shm

# Appeals: intake on the production server, queues and duplicate suggestion among 1,000,000 appeals (bench/README.md).
.PHONY: bench-appeals
bench-appeals: setup
	$(PY) bench/appeal_intake_bench.py
	$(PY) bench/appeal_queue_bench.py --keep
	$(PY) bench/appeal_similar_bench.py
