# lbgen: `make demo` renders, checks and parity-tests the sample cluster; `make test` runs
# every test, including the real nginx, Apache and HAProxy. `make bench`
# measures rendering, then every load balancer against the seed guide's
# nginx sample and with crowds of up to 8,000 WebSockets and long polls
# (about 10 minutes; see BENCHMARKS.md). It is not part of test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
DEMO    ?= testdata/clusters/cobrowse.yaml

.PHONY: build test fuzz update check-golden demo backends lint bench clean

build:
	$(GO) build -ldflags "-X main.buildVersion=$(VERSION)" -o lbgen ./cmd/lbgen

test:
	$(GO) test ./...

# fuzz runs every fuzz test for a number of executions (about 15 s each on
# 2 cores). A failing input is saved under the package's testdata/fuzz/ and
# replayed by `make test` from then on: commit it with the fix. Budgets are
# counts, not durations: with a duration, go1.26's fuzzer can report
# "context deadline exceeded" as a failure when the time runs out under load
# (golang/go#75804). FUZZSCALE multiplies every budget for longer runs.
FUZZSCALE ?= 1
FUZZ = $(GO) test -run '^$$' -fuzzminimizetime 500x -fuzztime
fuzz:
	$(FUZZ) $$((60000 * $(FUZZSCALE)))x -fuzz '^FuzzDecode$$' ./model
	$(FUZZ) $$((60000 * $(FUZZSCALE)))x -fuzz '^FuzzLoad$$' ./validate
	$(FUZZ) $$((40000 * $(FUZZSCALE)))x -fuzz '^FuzzRender$$' ./generator
	$(FUZZ) $$((40000 * $(FUZZSCALE)))x -fuzz '^FuzzRenderField$$' ./generator
	$(FUZZ) $$((40000 * $(FUZZSCALE)))x -fuzz '^FuzzImport$$' ./importer
	$(FUZZ) $$((30000 * $(FUZZSCALE)))x -fuzz '^FuzzServe$$' ./proxy

update:
	LBGEN_UPDATE=1 $(GO) test ./...

check-golden: update
	git diff --exit-code -- testdata

# demo also works before nginx, apache2 and haproxy are installed: check
# and parity then report those targets as skipped, and the parity run still
# routes real traffic through the reference proxy.
DEMO_SCENARIOS ?= --scenario sticky-hit --scenario unknown-route-round-robin \
	--scenario killed-node-fails-over --scenario websocket-sticky

demo: build
	./lbgen validate -c $(DEMO)
	./lbgen render -c $(DEMO) -t all -o out/demo
	./lbgen check -c $(DEMO) -t all --skip-missing
	./lbgen parity -c $(DEMO) $(DEMO_SCENARIOS)

bench: build
	$(GO) test -run '^$$' -bench Render -benchmem ./generator
	$(GO) run ./internal/bench/cmd/lbbench -lbgen ./lbgen $(BENCHFLAGS)

# Local nodes for testdata/clusters/local.yaml: try `./lbgen proxy -c
# testdata/clusters/local.yaml` or a rendered config against them. The
# nodes are built, then run in place of the recipe's shell, so stopping
# make (Ctrl-C, or SIGTERM to a make in the background) stops them; under
# `go run` they would outlive it.
BACKENDS     ?= CB_Server_1=127.0.0.1:18701 CB_Server_2=127.0.0.1:18702 CB_Server_3=127.0.0.1:18703
BACKENDS_BIN ?= out/testbackends

backends:
	$(GO) build -o $(BACKENDS_BIN) ./internal/cmd/testbackends
	exec $(BACKENDS_BIN) -cookie gcbSessionServer $(BACKENDS)

lint:
	$(GO) vet ./...
	test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)

clean:
	rm -rf lbgen out
