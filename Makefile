# lbgen: `make demo` renders and checks the sample cluster; `make test` runs
# every test, including the real nginx, Apache and HAProxy.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
DEMO    ?= testdata/clusters/cobrowse.yaml

.PHONY: build test update check-golden demo lint bench clean

build:
	$(GO) build -ldflags "-X main.buildVersion=$(VERSION)" -o lbgen ./cmd/lbgen

test:
	$(GO) test ./...

update:
	LBGEN_UPDATE=1 $(GO) test ./...

check-golden: update
	git diff --exit-code -- testdata

demo: build
	./lbgen validate -c $(DEMO)
	./lbgen render -c $(DEMO) -t all -o out/demo
	./lbgen check -c $(DEMO) -t all

lint:
	$(GO) vet ./...
	test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)

clean:
	rm -rf lbgen out
