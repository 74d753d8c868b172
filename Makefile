# The whole set-up on a fresh Debian / Raspberry Pi OS Bookworm machine:
#   make run    the kiosk's main job on simulated wearables (no hardware, no broker)
#   make test   installs what the tests need (Debian packages included) and runs them
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/rehab kiosk

test: install
	bash scripts/system-deps.sh test
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m bench.accuracy
	$(BIN)/python -m bench.throughput

clean:
	rm -rf $(VENV) build *.egg-info
