# incidentd — common tasks. `make help` lists them.

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
CONFIGURATION ?= debug

.PHONY: help deps build release test demo bench evidence-large chaos soak fuzz install install-files manual-tool uninstall clean lint

help:
	@echo "make demo     install what is missing, build, and walk a sample breach through incidentctl"
	@echo "make test     run the whole test suite against a throwaway PostgreSQL"
	@echo "make build    build incidentd and incidentctl (debug)"
	@echo "make release  build optimised binaries"
	@echo "make bench    measure throughput and latency beside raw PostgreSQL (a few minutes)"
	@echo "make evidence-large  a 200 MiB evidence file added and read back, the daemon's memory watched"
	@echo "make chaos    the long fault run: clients filing while incidentd is killed again and again"
	@echo "make soak     8 clients for SOAK_SECONDS (1800), the daemon's memory and descriptors sampled"
	@echo "make fuzz     libFuzzer on the Varlink decoder, playbook loader, conditions and durations (FUZZ_SECONDS each)"
	@echo "make install  install binaries, migrations and docs under PREFIX (default /usr/local)"
	@echo "make lint     check formatting with swift format (.swift-format); swift format -i -r Sources Tests fixes it"

deps:
	@scripts/install-deps.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# The same command CI runs. Each suite makes its own databases, so suites run in parallel.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) build --product generate-manual
	scripts/with-postgres.sh $(SWIFT) test --skip-build

demo: deps
	$(SWIFT) build
	scripts/demo.sh

bench: deps
	scripts/bench.sh

# Evidence of 200 MiB added and read back, the daemon's memory watched (CI: 24 MiB).
evidence-large: deps
	$(SWIFT) build --build-tests
	INCIDENTD_EVIDENCE_MIB=200 scripts/with-postgres.sh $(SWIFT) test --skip-build --filter aLargeFileComesBackWhole

# The long fault run: more clients, more reports, more SIGKILLs than the CI version.
chaos: deps
	$(SWIFT) build --build-tests
	CHAOS_CLIENTS=16 CHAOS_REPORTS=200 CHAOS_KILLS=10 scripts/with-postgres.sh $(SWIFT) test --skip-build --filter FaultTests

# No slow leak: 8 clients for SOAK_SECONDS (default 30 minutes; make test runs 3), the
# daemon's RSS and descriptors sampled every SOAK_SAMPLE_SECONDS.
SOAK_SECONDS ?= 1800
soak: deps
	$(SWIFT) build --build-tests
	SOAK_SECONDS=$(SOAK_SECONDS) scripts/with-postgres.sh $(SWIFT) test --skip-build --filter SoakTests

# libFuzzer targets (Fuzz/), FUZZ_SECONDS (default 60) each; CI runs them after the tests.
fuzz:
	scripts/fuzz.sh

# Installs under DESTDIR/PREFIX. BUILD_DIR names the binaries to install (the release build
# by default); `make install-files BUILD_DIR=...` installs an existing build without rebuilding.
BINDIR ?= $(PREFIX)/bin
SHAREDIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
BUILD_DIR ?= .build/release
MANDIR ?= $(SHAREDIR)/man
# swift-argument-parser's manual generator, built from the package's dependencies.
MANUAL_TOOL ?= $(shell $(SWIFT) build --show-bin-path)/generate-manual

install: release manual-tool install-files

manual-tool:
	$(SWIFT) build --product generate-manual

install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/incidentd/migrations $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d $(DESTDIR)$(SYSCONFDIR)/incidentd \
		$(DESTDIR)$(SHAREDIR)/doc/incidentd/docs $(DESTDIR)$(SHAREDIR)/bash-completion/completions \
		$(DESTDIR)$(SHAREDIR)/zsh/site-functions $(DESTDIR)$(SHAREDIR)/fish/vendor_completions.d \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD_DIR)/incidentd $(BUILD_DIR)/incidentctl $(DESTDIR)$(BINDIR)/
	install -m 0644 db/migrations/*.sql $(DESTDIR)$(SHAREDIR)/incidentd/migrations/
	install -d $(DESTDIR)$(SHAREDIR)/incidentd/playbooks
	install -m 0644 playbooks/*.yaml $(DESTDIR)$(SHAREDIR)/incidentd/playbooks/
	install -d $(DESTDIR)$(SHAREDIR)/incidentd/playbooks/regimes
	install -m 0644 playbooks/regimes/*.yaml $(DESTDIR)$(SHAREDIR)/incidentd/playbooks/regimes/
	install -d $(DESTDIR)$(SHAREDIR)/incidentd/hooks
	install -m 0755 hooks/* $(DESTDIR)$(SHAREDIR)/incidentd/hooks/
	sed 's|/usr/local/bin/|$(BINDIR)/|; s|/usr/local/share/|$(SHAREDIR)/|' systemd/incidentd.service \
		> $(DESTDIR)$(UNITDIR)/incidentd.service
	sed 's|/usr/local/share/|$(SHAREDIR)/|' systemd/incidentd.socket > $(DESTDIR)$(UNITDIR)/incidentd.socket
	chmod 0644 $(DESTDIR)$(UNITDIR)/incidentd.service $(DESTDIR)$(UNITDIR)/incidentd.socket
	install -m 0644 systemd/incidentd.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/incidentd.conf
	install -m 0644 systemd/incidentd.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/incidentd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/incidentd/incidentd.yaml \
		|| install -m 0644 systemd/incidentd.yaml $(DESTDIR)$(SYSCONFDIR)/incidentd/incidentd.yaml
	install -m 0644 README.md $(DESTDIR)$(SHAREDIR)/doc/incidentd/
	install -m 0644 docs/*.md $(DESTDIR)$(SHAREDIR)/doc/incidentd/docs/
	$(BUILD_DIR)/incidentctl --generate-completion-script bash > $(DESTDIR)$(SHAREDIR)/bash-completion/completions/incidentctl
	$(BUILD_DIR)/incidentctl --generate-completion-script zsh > $(DESTDIR)$(SHAREDIR)/zsh/site-functions/_incidentctl
	$(BUILD_DIR)/incidentctl --generate-completion-script fish > $(DESTDIR)$(SHAREDIR)/fish/vendor_completions.d/incidentctl.fish
	scripts/man-pages.py $(MANUAL_TOOL) $(BUILD_DIR)/incidentctl $(DESTDIR)$(MANDIR)/man1
	$(MANUAL_TOOL) $(BUILD_DIR)/incidentd --section 8 -o $(DESTDIR)$(MANDIR)/man8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/incidentd $(DESTDIR)$(BINDIR)/incidentctl
	rm -rf $(DESTDIR)$(SHAREDIR)/incidentd $(DESTDIR)$(SHAREDIR)/doc/incidentd
	rm -f $(DESTDIR)$(UNITDIR)/incidentd.service $(DESTDIR)$(UNITDIR)/incidentd.socket
	rm -f $(DESTDIR)$(PREFIX)/lib/sysusers.d/incidentd.conf $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/incidentd.conf
	rm -f $(DESTDIR)$(SHAREDIR)/bash-completion/completions/incidentctl \
		$(DESTDIR)$(SHAREDIR)/zsh/site-functions/_incidentctl $(DESTDIR)$(SHAREDIR)/fish/vendor_completions.d/incidentctl.fish
	rm -f $(DESTDIR)$(MANDIR)/man1/incidentctl*.1 $(DESTDIR)$(MANDIR)/man8/incidentd.8
	@echo "Left $(SYSCONFDIR)/incidentd and /var/lib/incidentd in place: they hold your configuration and data."

lint:
	$(SWIFT) format lint --strict --parallel -r Package.swift Plugins Sources Tests

clean:
	rm -rf .build .state
