# The project's one interface. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
LOCAL_STAMP := $(VENV)/.installed-local
# The browser tests (tests/web) drive Debian's Chromium through Playwright: Playwright's own browser
# download cannot work here, so the dev install brings the distribution's package when it is missing.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test install lint bench bench-workflows bench-fleet bench-allocator bench-energy bench-energy-baselines synth clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY) $(CHROMIUM)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(LOCAL_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[local]'
	touch $(LOCAL_STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

install: $(STAMP)

run: $(LOCAL_STAMP)
	$(VENV)/bin/csms-local $(ARGS)

# mypy covers everything that runs in .venv; bench/energy needs the bench-only .venv-bench.
TYPED := shared functions tools infra app.py tests bench/ocpp_throughput.py bench/workflow_cost.py bench/allocator_cost.py

test: lint
	$(PY) -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(TYPED)

synth: $(STAMP)
	$(PY) app.py

# OCPP 1.6 and 2.0.1 stations through the $default handler, in-process on moto: frames/s, AWS requests
# and log bytes per message type, cold starts (bench/results/ocpp-throughput.json). Not part of `make test`.
bench: $(STAMP)
	$(PY) -m bench.ocpp_throughput
	$(PY) -m bench.workflow_cost

# Step Functions cost from counted state transitions: billing per charger-month, a 1,000-station firmware
# campaign (bench/results/workflow-cost.json; about 2 minutes, 10 simulated chargers).
bench-workflows: $(STAMP)
	$(PY) -m bench.workflow_cost $(BENCH_ARGS)

# 1,000 simulated chargers against the local platform (about 10 minutes): completion, lost messages,
# latency percentiles, peak memory. BENCH_ARGS="--chargers 200" for a quicker run.
bench-fleet: $(STAMP)
	$(PY) -m bench.fleet $(BENCH_ARGS)

# The allocator in operation on moto (bench/results/allocator-cost.json; about 15 minutes): a site run's
# time with its I/O at 10, 100 and 1,000 EVSEs, DynamoDB requests, posts and profiles per EVSE-hour.
bench-allocator: $(STAMP)
	$(PY) -m bench.allocator_cost $(BENCH_ARGS)

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache .local

# The energy benchmark runs in its own venv: acnportal and cvxpy are never part of the platform.
bench-energy:
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -e '.[bench-energy]'
	.venv-bench/bin/python -m bench.energy.run $(BENCH_ARGS)

# Hours: ASA (both configurations) and the offline optimum; BENCH_ARGS=--full adds the month.
bench-energy-baselines:
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -e '.[bench-energy]'
	.venv-bench/bin/python -m bench.energy.baselines.run $(BENCH_ARGS)
