# incidentd — common tasks. `make help` lists them.

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
CONFIGURATION ?= debug

.PHONY: help deps build release test demo bench install uninstall clean lint

help:
	@echo "make demo     install what is missing, build, and walk a sample breach through incidentctl"
	@echo "make test     run the whole test suite against a throwaway PostgreSQL"
	@echo "make build    build incidentd and incidentctl (debug)"
	@echo "make release  build optimised binaries"
	@echo "make bench    measure throughput and latency beside raw PostgreSQL (a few minutes)"
	@echo "make install  install binaries, migrations and docs under PREFIX (default /usr/local)"
	@echo "make lint     check formatting with swift format"

deps:
	@scripts/install-deps.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# The same command CI runs. Each suite makes its own databases, so suites run in parallel.
test: deps
	$(SWIFT) build --build-tests
	scripts/with-postgres.sh $(SWIFT) test --skip-build

demo: deps
	$(SWIFT) build
	scripts/demo.sh

bench: deps
	scripts/bench.sh

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/incidentd/migrations
	install -m 0755 .build/release/incidentd .build/release/incidentctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 db/migrations/*.sql $(DESTDIR)$(PREFIX)/share/incidentd/migrations/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/incidentd $(DESTDIR)$(PREFIX)/bin/incidentctl
	rm -rf $(DESTDIR)$(PREFIX)/share/incidentd

lint:
	$(SWIFT) format lint --strict -r Sources Tests

clean:
	rm -rf .build .state
