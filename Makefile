# Hindsight. `make run` and `make test` are all a new machine needs (plus Go).
SHELL   := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN     := bin/hindsight
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

include mk/tools.mk

.PHONY: run build test check unit bench loadrun storm fuzz fmt clean

## build: compile the hindsight binary into bin/
build:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

## run: build, migrate, load the demo data and serve on http://localhost:8080 (SQLite unless DATABASE_URL is set)
run: build
	./$(BIN) migrate
	./$(BIN) seed
	./$(BIN) serve

## test: formatting, vet, every test on SQLite and PostgreSQL, the migration lint and the browser tests
test: tools check unit

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...

unit:
	@pg_isready -q -d "$(PG_ADMIN_URL)" 2>/dev/null || psql "$(PG_ADMIN_URL)" -c 'select 1' >/dev/null 2>&1 || \
		echo "*** PostgreSQL is not reachable at 127.0.0.1:5432: its tests will be SKIPPED (REQUIRE_POSTGRES=1 fails instead) ***"
	@command -v chromium >/dev/null 2>&1 || test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || \
		echo "*** Chromium is not installed: the browser tests will be SKIPPED (apt-get install chromium; REQUIRE_BROWSER=1 fails instead) ***"
	@test -x $(SQUAWK_BIN) || echo "*** squawk is not installed: the migration lint will be SKIPPED (make tools; REQUIRE_SQUAWK=1 fails instead) ***"
	SQUAWK=$(CURDIR)/$(SQUAWK_BIN) go test -count=1 -timeout 15m ./...

## bench: Go benchmarks (PostgreSQL and SQLite)
bench:
	go test -run '^$$' -bench . -benchmem -benchtime 2s -timeout 30m ./models/ ./server/

## loadrun: start the real binary on 10,000 incidents and measure it under load (see docs/performance.md)
loadrun: build
	go run ./tools/loadrun -bin ./$(BIN) -admin-url "$(PG_ADMIN_URL)"

## storm: 10,000 distinct alerts in Alertmanager batches, the server SIGKILLed midway and restarted: exactly 10,000 events (PostgreSQL)
STORM_DB ?= hindsight_storm
storm: build
	psql -q "$(PG_ADMIN_URL)" -c 'DROP DATABASE IF EXISTS $(STORM_DB) WITH (FORCE)' -c 'CREATE DATABASE $(STORM_DB)'
	go run ./tools/alertstorm -bin ./$(BIN) -alerts 10000 -batch 100 -senders 4 \
		-database-url "$$(echo '$(PG_ADMIN_URL)' | sed 's#/postgres?#/$(STORM_DB)?#')"

## fuzz: run each fuzz target for a while (FUZZTIME=30s)
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$(go list ./...); do \
		for target in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$target"; go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin .tools
