# Two commands for a newcomer: `make run` and `make test`. See the README.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# Settings for running the test suite; production settings come from the environment.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-tests-only-insecure-key} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-testserver,localhost}
# pytest-xdist processes for `make test` and `make fuzz`: one per core (`auto`); each has
# its own test database (test_ctht_api_gw0, …). TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto

.PHONY: install run test fuzz lint format migrations-check check-compose clean bench bench-install bench-quick screenshots

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## run: install, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)
run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py createcachetable
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: PostgreSQL when DATABASE_URL is set or a server answers on 127.0.0.1:5432, else SQLite
test: install
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctht_api; \
	fi; \
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## fuzz: schemathesis over every operation of the OpenAPI document, as a writer, a
## read-only token and anonymously; any 5xx or undocumented answer fails. tests/fuzz/.
## Same database choice as `make test`. FUZZ_EXAMPLES=n (default 30) sets the depth.
fuzz: install
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctht_api; \
	fi; \
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) -m fuzz tests/fuzz $(PYTEST_ARGS)

## screenshots: the admin pages in headless Chromium at 1,280 x 800 (tests/browser/test_admin_pages.py,
## which also checks their layout) saved under var/screenshots/; the README's two, at 960 x 600,
## copied to docs/screenshots/. Same database choice as `make test`.
screenshots: install
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctht_api; \
	fi; \
	$(TEST_ENV) $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_admin_pages.py
	mkdir -p docs/screenshots
	cp var/screenshots/statements.small.png docs/screenshots/admin-statements.png
	cp var/screenshots/event.small.png docs/screenshots/admin-event.png

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

check-compose: install
	$(PY) tests/compose_schema.py docker-compose.yml

## bench: the API (cold: response cache off) against a bare-Django baseline and a plain-DRF
## peer under gunicorn + wrk, at 100,000 and 1,000,000 statements on PostgreSQL
## (127.0.0.1:5432, or BENCH_DATABASE_URL), with the API's warm path (response cache on, in
## Redis database 13 of 127.0.0.1:6379, which it empties; --no-warm in BENCH_ARGS skips it),
## its time per request by layer (cProfile), the stats endpoint, a full CSV export per size
## (time, rows, peak worker RSS < 200 MB), and the change feed (pages/s of two pages; the
## write cost of a rename's fan-out); writes docs/benchmarks.{md,json,png}. About 32 min on
## a quiet machine (27 once the databases exist): estimates, the report prints the time.
## Exit status 1 when a CSV check fails. bench/README.md.
BENCH_ARGS ?= --sizes 100000 1000000 --duration 10 --connections 8 --out docs/

$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench-install: $(VENV)/.bench-installed
	@command -v wrk >/dev/null 2>&1 || (apt-get update && apt-get install -y wrk)

bench: bench-install
	$(PY) bench/run.py $(BENCH_ARGS)

## bench-quick: the same at 2,000 and 20,000 statements, 3 s per run, CSV, stats, warm runs
## and profile included: checks the harness (~7 min)
bench-quick: bench-install
	$(PY) bench/run.py --sizes 2000 20000 --duration 3 --warmup 1 --out var/bench/

clean:
	rm -rf $(VENV) var/static
