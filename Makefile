# Rathaus — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go
PG_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
DATASETS ?= $(abspath ../shared/data)

.PHONY: run test test-postgres test-s3 scale-test conformance fuzz e2e build vet check

## run: the demo city Musterstadt on http://127.0.0.1:8080 (data in ./rathaus-data)
run:
	$(GO) run ./cmd/rathaus demo

## test: every unit and storage test on SQLite; needs no server and no data set
test:
	$(GO) vet ./...
	$(GO) test -timeout 30m ./...

## test-postgres: the same tests, storage tests also on PostgreSQL (mandatory here)
test-postgres:
	RATHAUS_TEST_POSTGRES_URL='$(PG_URL)' RATHAUS_REQUIRE_POSTGRES=1 $(GO) test -timeout 30m -count=1 ./...

## test-s3: blob contract tests on both backends and the storage tests of every package using platform/blobtest, against a real S3 server (SeaweedFS, built once into ~/.cache/rathaus); PG_URL= to leave PostgreSQL out
test-s3:
	PG_URL='$(PG_URL)' ./scripts/test-s3.sh

## scale-test: two instances on one PostgreSQL and one SeaweedFS behind haproxy; load, SIGKILL, rolling restart; JSON report on the last line, exit 1 if a write was lost or the restart failed requests
scale-test:
	PG_URL='$(PG_URL)' ./scripts/scale-test.sh

## conformance: agreement with official verdicts and public data sets in ../shared/data
conformance:
	RATHAUS_DATASETS='$(DATASETS)' RATHAUS_CONFORMANCE=1 $(GO) test -count=1 -run 'Conformance|Dataset' ./...

## fuzz: each fuzz target briefly
fuzz:
	./scripts/fuzz.sh 10s

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/rathaus ./cmd/rathaus

## e2e: real-browser harness (Debian chromium): every GET route, axe-core WCAG 2.1 A/AA at 375 and 1280 px, without JavaScript, page weight budget; report in bin/e2e-report.txt
e2e:
	mkdir -p bin
	E2E_REPORT='$(abspath bin/e2e-report.txt)' $(GO) test -tags e2e -count=1 -timeout 40m -v ./e2e/
