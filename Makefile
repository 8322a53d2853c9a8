# Syllabus: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite on SQLite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install browser lint migrate seed worker beat clean lock

$(STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's chromium (never `playwright install`, which downloads its own browser). PDFs
# (transcripts, later certificates) need fonts covering every script a name may use: DejaVu and Noto CJK.
SYSTEM_PACKAGES := chromium fonts-dejavu-core fonts-noto-cjk
browser:
	@missing=""; for pkg in $(SYSTEM_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Tests need Debian packages:$$missing (sudo apt-get install$$missing)" >&2; exit 1; fi; fi

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Web server, Celery worker and beat on one machine with SQLite and no Redis (filesystem broker under var/;
# beat keeps its schedule in the database). When the web server stops (Ctrl-C), the trap stops worker and beat
# and waits for their warm shutdown; it clears itself first, since a trap that signals its own shell would re-enter.
run: seed
	@trap 'trap - EXIT INT TERM; kill $$(jobs -p) 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/celery -A syllabus worker --loglevel=info --concurrency=2 --pool=threads & \
	$(BIN)/celery -A syllabus beat --loglevel=info & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install browser
	SYLLABUS_ENV=test CELERY_TASK_ALWAYS_EAGER=true $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy syllabus
	$(BIN)/lint-imports

lock:
	$(BIN)/python -m pip install --quiet uv==0.13.8
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --no-emit-index-url --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --no-emit-index-url --python-version 3.11 -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
