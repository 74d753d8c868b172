# The whole set-up on a fresh Debian / Raspberry Pi OS Bookworm machine:
#   make run    the kiosk's main job on simulated wearables (no hardware, no broker)
#   make test   installs what the tests need (Debian packages included) and runs them
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PACKAGES := rehab exercises protocol sensors motion therapy firmware_bridge mqtt clinic kiosk

.PHONY: install run test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh scripts/system-deps.d/run
	bash scripts/system-deps.sh run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# Bytecode now, as pip does for wheels (an editable install has none, and environments
	# with PYTHONDONTWRITEBYTECODE would compile every module on every start-up).
	$(BIN)/python -m compileall -q $(PACKAGES) > /dev/null
	# The pose landmark model as the kiosk runs it (float32 weights, no segmentation head),
	# into this user's cache now rather than at the first camera exercise (~1.5 s there);
	# if it cannot be made, the kiosk tries again there and else runs the wheel's model.
	$(BIN)/python -m sensors.camera.model_cache > /dev/null || \
		echo "warning: pose model not converted now (see above); the camera will try again"
	touch $(STAMP)

run: install
	$(BIN)/rehab kiosk

test: install
	bash scripts/system-deps.sh test
	# Two workers, one per core: most tests wait on a broker, a server, a browser or a kiosk
	# child. Work stealing evens out the end; tests marked `alone` (timing) run by themselves.
	$(BIN)/python -m pytest -q -n 2 --dist worksteal

# Benchmarks print figures and ratios against the issues' targets (not run by `make test`).
BENCHES := accuracy perturb throughput replay_parse outbox bridge ble camera kiosk visit

bench: install
	@for b in $(BENCHES); do echo "== python -m bench.$$b"; $(BIN)/python -m bench.$$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
