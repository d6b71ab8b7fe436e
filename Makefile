# Two commands matter: `make demo` and `make test`. Both are idempotent: the virtual environment is
# rebuilt only when the lock files change, migrations and the demo seed skip what already exists.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= skillsmap.settings.local

.PHONY: demo dev test install lint typecheck format lock bench bench-xl bench-dispatch clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements/dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

# Front-end libraries (htmx, Chart.js) come from the npm registry; Django serves them from
# node_modules. Without npm the pages still work: every interaction has a plain-form fallback.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: pages work without htmx and charts"; fi

install: $(STAMP) node_modules/.installed

# The skill library ships in the repository (skills/library_data), so nothing beside the clone is
# read. DEMO_ADDR moves the server (CI's fresh-clone check serves on a free port).
DEMO_ADDR ?= 127.0.0.1:8000
# The demo is served as production serves: DEBUG off (the product's own 404/403/500 pages, never
# Django's URL list or traceback), gunicorn, static files collected and served by whitenoise.
# settings/demo.py; the host of DEMO_ADDR is allowed.
DEMO_ENV := DJANGO_SETTINGS_MODULE=skillsmap.settings.demo \
	ALLOWED_HOSTS='127.0.0.1,localhost,[::1],$(firstword $(subst :, ,$(DEMO_ADDR)))'
demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py import_skill_library
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput -v 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --url http://$(DEMO_ADDR)/
	$(DEMO_ENV) $(BIN)/gunicorn skillsmap.wsgi --bind $(DEMO_ADDR) --workers 2 --timeout 120

# Development: the same data, DEBUG on (tracebacks, URL lists) and runserver reloading on change.
dev: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py import_skill_library
	$(BIN)/python manage.py seed_demo --url http://$(DEMO_ADDR)/
	$(BIN)/python manage.py runserver $(DEMO_ADDR)

test: install
	DJANGO_SETTINGS_MODULE=skillsmap.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with Django's and DRF's stubs over the app code; files and options in pyproject.toml.
typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerates the lock files from pyproject.toml (needs network access to PyPI).
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml -o requirements/base.txt --python-version 3.11 -q
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements/dev.txt --python-version 3.11 -q

# Benchmarks (BENCHMARKS.md): builds the data once (minutes), then measures and rewrites the
# results section of BENCHMARKS.md. PostgreSQL only; no Redis (Celery in-process, local cache).
BENCH_DATABASE_URL ?= postgres://skillsmap@127.0.0.1:5432/skillsmap_bench
BENCH_ARGS ?= --preset L
BENCH_RUNS ?= 5
bench: install
	env -u REDIS_URL DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" DJANGO_SETTINGS_MODULE=bench.settings \
		sh -c '$(BIN)/python -m bench.database && \
		$(BIN)/python manage.py migrate --noinput -v 0 && \
		$(BIN)/python -m bench.generate --if-missing $(BENCH_ARGS) && \
		$(BIN)/python -m bench.measure --runs $(BENCH_RUNS) --report BENCHMARKS.md --workload L --spec "$(BENCH_ARGS)"'

# The XL workload (issue #14), by hand and not in CI: 55,000 people, ~4 M rating events. Its own
# database (created when missing) and its own section of BENCHMARKS.md; generating takes a while.
BENCH_XL_DATABASE_URL ?= postgres://skillsmap@127.0.0.1:5432/skillsmap_bench_xl
BENCH_XL_ARGS ?= --preset XL
BENCH_XL_RUNS ?= 3
bench-xl: install
	env -u REDIS_URL DATABASE_URL="$(BENCH_XL_DATABASE_URL)" DJANGO_SETTINGS_MODULE=bench.settings \
		sh -c '$(BIN)/python -m bench.database && \
		$(BIN)/python manage.py migrate --noinput -v 0 && \
		$(BIN)/python -m bench.generate --if-missing $(BENCH_XL_ARGS) && \
		$(BIN)/python -m bench.measure --runs $(BENCH_XL_RUNS) --report BENCHMARKS.md --workload XL --spec "$(BENCH_XL_ARGS)"'

# P7 (issue #14), by hand: the beat dispatcher against 1,000 lagging organisations, with Redis as
# the broker and a real worker of 4 processes draining 200 of them. Its own database and queue.
BENCH_DISPATCH_DATABASE_URL ?= postgres://skillsmap@127.0.0.1:5432/skillsmap_bench_dispatch
BENCH_DISPATCH_REDIS_URL ?= redis://127.0.0.1:6379/15
bench-dispatch: install
	env DATABASE_URL="$(BENCH_DISPATCH_DATABASE_URL)" REDIS_URL="$(BENCH_DISPATCH_REDIS_URL)" \
		DJANGO_SETTINGS_MODULE=bench.dispatch_settings \
		sh -c '$(BIN)/python -m bench.database && \
		$(BIN)/python manage.py migrate --noinput -v 0 && \
		$(BIN)/python -m bench.dispatch --report BENCHMARKS.md'

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
