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
	rm -rf bin build dist

# Fuzz the JSON error-position check and the list-language parser, FUZZTIME
# each (default 10m; not part of `make test`). New failing inputs land in
# the packages' testdata/fuzz folders, which `go test` then replays.
FUZZTIME ?= 10m
.PHONY: fuzz
fuzz:
	$(GO) test ./internal/api -run '^$$' -fuzz '^FuzzPythonJSONError$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./internal/filter -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

# --- Benchmarks (bench/README.md) ---
.PHONY: bench-compare bench-scale bench-test bench-body bench-artifacts bench-floor bench-runs bench-dashboard bench-import

# zengo against the reference ZenML 0.98.0 server on the same data and requests.
# Tune with BENCH_PIPELINES, BENCH_TAGS, BENCH_RUNS, BENCH_CONCURRENCY, BENCH_DURATION, ...
bench-compare: build
	ZENGO_BIN=$(CURDIR)/$(BIN) BENCH_VENV=$(VENV) $(GO) run ./bench/cmd/compare

# The floor: a bare Go HTTP server reading one row by id from SQLite, under
# the same load (bench-compare measures it too and shows zengo as a fraction).
bench-floor:
	$(GO) run ./bench/cmd/floor

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

# The client's requests of pipeline runs (bench/runs/sequence.json) for
# BENCH_RUNS_CONCURRENCY runs of BENCH_RUNS_STEPS steps (16 × 20) against the
# reference and zengo (+ PostgreSQL / MySQL with ZENGO_BENCH_POSTGRES_URL /
# ZENGO_BENCH_MYSQL_URL, + K replicas with BENCH_ZENGO_REPLICAS=K).
bench-runs: build
	ZENGO_BIN=$(CURDIR)/$(BIN) BENCH_VENV=$(VENV) $(GO) run ./bench/cmd/benchruns

# Open run pages polling their DAG every 3 s while runs are being recorded,
# ramped until the DAG's p99 passes 50 ms (zengo; + PostgreSQL if configured).
bench-dashboard: build
	ZENGO_BIN=$(CURDIR)/$(BIN) BENCH_VENV=$(VENV) BENCH_DASHBOARD=1 $(GO) run ./bench/cmd/benchruns

# zengo import of a generated ZenML 0.98.0 source with BENCH_IMPORT_RUNS runs
# (default 1000000; the source is kept in BENCH_IMPORT_DIR and reused): rows/s
# and the importer's peak RSS, in bench/results/import-DATE.md.
bench-import: build venv
	ZENGO_BIN=$(CURDIR)/$(BIN) $(VENV)/bin/python bench/import_bench.py

# Unit tests of the benchmark tools.
bench-test:
	$(GO) test -count=1 ./bench/...

# --- Release builds and the container image ---
.PHONY: release image

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
RELEASE_TARGETS := linux/amd64 linux/arm64 darwin/arm64 windows/amd64

# Static binaries for every target, with the version and commit, and their
# checksums, in dist/.
release:
	rm -rf dist && mkdir -p dist
	@for t in $(RELEASE_TARGETS); do \
	  os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  echo "build dist/zengo-$$os-$$arch$$ext"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/zengo-$$os-$$arch$$ext ./cmd/zengo || exit 1; \
	done
	cd dist && sha256sum zengo-* > SHA256SUMS

# The container image (FROM scratch: nothing is pulled), built with podman.
# These machines need runc and explicit limits for podman; a user's Docker
# or podman builds the same Containerfile as it is.
IMAGE ?= zengo:$(VERSION)
PODMAN ?= podman
image:
	rm -rf build/image && mkdir -p build/image/data
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o build/image/zengo ./cmd/zengo
	cp /etc/ssl/certs/ca-certificates.crt build/image/
	cp Containerfile build/image/
	$(PODMAN) build --runtime runc --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 --format docker -t $(IMAGE) build/image
