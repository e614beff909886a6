# Two commands: `make run` (set up, build the demo model set if none exists, serve) and `make test`.
# `make serve N=2` serves one deployment from N app processes behind nginx (README: Serving a lab).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DATA := data/demo.jsonl.gz

# Where `make run` and `make serve` listen: this machine only, unless ADDRESS=0.0.0.0 (every interface) or a LAN address.
ADDRESS ?= $(or $(STREAMLIT_SERVER_ADDRESS),127.0.0.1)
# make serve: N app processes (one per core), nginx on PORT; SERVE_USER with PASSWORD_FILE (or SERVE_PASSWORD in the environment), or
# HTPASSWD, require a password; ALLOW="192.168.1.0/24 10.0.0.5" admits only those addresses.
N ?= 2
PORT ?= 8080

.PHONY: run serve test lint format demo-model clean-venv

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

$(DEMO_DATA): | $(BIN)/.installed
	$(BIN)/python -m lib demo-data --out $(DEMO_DATA)

# Build the demo set only when models/ holds no model set at all.
demo-model: $(BIN)/.installed $(DEMO_DATA)
	@if ls models/*/manifest.json >/dev/null 2>&1; then echo "model sets found in models/: not building the demo"; \
	else $(BIN)/python -m lib build --input $(DEMO_DATA) --out models/demo --epochs 20 --min-cluster-size 40 --cluster-selection eom; fi

# Streamlit reads STREAMLIT_SERVER_PORT itself (default 8501). Once it answers, the server runs the app once, so that
# it has imported the model code and opened the default set before the first reader (lib/warmup.py).
run: demo-model
	@($(BIN)/python -m lib warm-up --url http://127.0.0.1:$${STREAMLIT_SERVER_PORT:-8501} >/dev/null 2>&1 &)
	$(BIN)/streamlit run app.py --server.address $(ADDRESS) --server.scriptHealthCheckEnabled true

serve: demo-model
	$(BIN)/python -m lib serve --processes $(N) --port $(PORT) --address $(ADDRESS) \
		$(if $(SERVE_USER),--user $(SERVE_USER)) $(if $(PASSWORD_FILE),--password-file $(PASSWORD_FILE)) \
		$(if $(HTPASSWD),--htpasswd $(HTPASSWD)) $(foreach cidr,$(ALLOW),--allow $(cidr))

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(BIN)/.installed-dev
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "note: chromium not installed; browser tests will skip"
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; } || \
		echo "note: nginx not installed; the tests of make serve will skip"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV)
