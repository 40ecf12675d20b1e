# zengo — build, run and test. `make test` is what CI runs.

GO      ?= go
PYTHON  ?= python3
VENV    ?= .venv
BIN     := bin/zengo
PYTEST  := $(VENV)/bin/python -m pytest

.PHONY: build run dashboard test lint test-go test-compat compat-report venv clean

# The zenml release whose API zengo serves (pinned in one place).
ZENML_VERSION := $(shell sed -n 's/^zenml\[server\]==//p' tests/compat/requirements.txt)

build:
	$(GO) build -o $(BIN) ./cmd/zengo

# Start the server on the embedded SQLite database (data in ~/.local/share/zengo),
# with the dashboard.
run: build dashboard
	./$(BIN) serve

# The ZenML dashboard: ZenML's own build, taken once from the pinned zenml
# wheel (downloaded with pip) into zengo's data directory.
dashboard: build
	@./$(BIN) dashboard check >/dev/null 2>&1 || { tmp=$$(mktemp -d) && \
	  $(PYTHON) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d $$tmp "zenml==$(ZENML_VERSION)" && \
	  ./$(BIN) dashboard install $$tmp/zenml-$(ZENML_VERSION)-*.whl; status=$$?; rm -rf $$tmp; exit $$status; }

# The Python virtualenv with the pinned zenml client (tests/compat/requirements.txt).
venv: $(VENV)/.installed
$(VENV)/.installed: tests/compat/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
	touch $@

test: lint test-go test-compat

lint:
	@unformatted=$$(gofmt -l cmd internal); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

test-go:
	$(GO) test -count=1 ./...

test-compat: build venv
	ZENGO_BIN=$(CURDIR)/$(BIN) $(PYTEST) -q tests/compat

compat-report: build venv
	ZENGO_BIN=$(CURDIR)/$(BIN) $(VENV)/bin/python tests/compat/report.py

clean:
	rm -rf bin

# Fuzz the JSON error-position check and the list-language parser, FUZZTIME
# each (default 10m; not part of `make test`). New failing inputs land in
# the packages' testdata/fuzz folders, which `go test` then replays.
FUZZTIME ?= 10m
.PHONY: fuzz
fuzz:
	$(GO) test ./internal/api -run '^$$' -fuzz '^FuzzPythonJSONError$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./internal/filter -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

# --- Benchmarks (bench/README.md) ---
.PHONY: bench-compare bench-scale bench-test bench-body bench-artifacts

# zengo against the reference ZenML 0.98.0 server on the same data and requests.
# Tune with BENCH_PIPELINES, BENCH_TAGS, BENCH_RUNS, BENCH_CONCURRENCY, BENCH_DURATION, ...
bench-compare: build
	ZENGO_BIN=$(CURDIR)/$(BIN) BENCH_VENV=$(VENV) $(GO) run ./bench/cmd/compare

# zengo alone at SCALE_SIZES pipelines (default 100000,1000000) on SQLite, and on
# PostgreSQL when ZENGO_BENCH_POSTGRES_URL is set.
bench-scale: build
	ZENGO_BIN=$(CURDIR)/$(BIN) $(GO) run ./bench/cmd/scale

# Server CPU per MB of request body, valid and malformed JSON, with and
# without a token, at BENCH_BODY_SIZES_MIB (default 1,4,16,48).
bench-body: build
	ZENGO_BIN=$(CURDIR)/$(BIN) $(GO) run ./bench/cmd/bodycost

# The artifact versions list at BENCH_ARTIFACTS × BENCH_VERSIONS_PER_ARTIFACT
# versions (default 100,000 × 10 = 1M) on SQLite.
bench-artifacts: build
	ZENGO_BIN=$(CURDIR)/$(BIN) $(GO) run ./bench/cmd/artifactscale

# Unit tests of the benchmark tools.
bench-test:
	$(GO) test -count=1 ./bench/...
