# Two commands for a newcomer: `make run` and `make test`. See the README.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# Settings for running the test suite; production settings come from the environment.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-tests-only-insecure-key} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-testserver,localhost}

.PHONY: install run test lint format migrations-check check-compose clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## run: install, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)
run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: PostgreSQL when DATABASE_URL is set or a server answers on 127.0.0.1:5432, else SQLite
test: install
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctht_api; \
	fi; \
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

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

clean:
	rm -rf $(VENV) var/static
