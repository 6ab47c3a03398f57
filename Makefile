# GPU Enclave: `make demo` runs the prod stack through the HIPAA policy pack offline; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK ?= prod

PACK := policy_packs/hipaa

.PHONY: demo screenshot test lint tools synth-all bench clean rules-doc schema components-doc mutate mutate-pack auditor-policy bench-audit

$(VENV)/.runtime: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# The main job: the stack through the HIPAA policy pack, as `pulumi preview --policy-pack` would run it (no
# cloud account, no Pulumi CLI); then the same in first-preview mode as JSON, SARIF for code scanning, and the
# HTML evidence report (out/$(STACK)-report/index.html, with findings.csv and report.json beside it).
demo: $(VENV)/.runtime
	$(VENV)/bin/enclave preview --stack $(STACK)
	$(VENV)/bin/enclave preview --stack $(STACK) --preview --format json --out out/$(STACK).preview.json
	$(VENV)/bin/enclave preview --stack $(STACK) --format sarif --out out/$(STACK).sarif
	$(VENV)/bin/enclave report --stack $(STACK) --out out/$(STACK)-report

# docs/img/report.png (the README's picture): the top of the prod evidence report in Debian's chromium, which
# `make tools` installs.
screenshot: $(VENV)/.dev
	$(VENV)/bin/enclave report --stack prod --out out/prod-report
	$(PY) -m enclave.evidence.browser out/prod-report/index.html docs/img/report.png

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	MYPYPATH=$(PACK) $(VENV)/bin/mypy -p framework -p rules -m catalog
	$(PY) -m pip check

# RULES.md is generated from the pack's catalog and rules (a test fails when it is stale).
rules-doc: $(VENV)/.runtime
	cd $(PACK) && $(abspath $(PY)) -m framework.docs

# schema/stack.schema.json and docs/config-reference.md, generated from the pydantic models (a test fails when
# they are stale).
schema: $(VENV)/.runtime
	$(PY) -m enclave.schema .

# docs/components.md, every component's Args as an inputs table (a test fails when it is stale).
components-doc: $(VENV)/.runtime
	$(PY) -m components.args_docs .

# enclave/audit/auditor-policy.json, the auditor role's read-only policy, generated from the calls the audit makes
# (enclave/audit/calls.py; a test fails when it is stale). `enclave audit-policy` prints it.
auditor-policy: $(VENV)/.runtime
	$(PY) -m enclave.audit.calls

# `enclave audit` of a seeded moto server with 300+ resources, timed (figure in bench/audit.md).
bench-audit: $(VENV)/.dev
	$(PY) bench/audit_bench.py

# Independent scanners (checkov, network-config-analyzer, kubernetes-validate, actionlint): pinned, each in its own
# venv under .tools/ (or $$ENCLAVE_TOOLS_DIR), kept out of the runtime and dev requirements.
tools:
	PYTHON=$(PYTHON) bash tools/install.sh

# The suite in TEST_WORKERS processes (pytest-xdist), a test file per process at a time (module fixtures are built
# once); TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: lint tools
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

synth-all: $(VENV)/.runtime
	for s in dev staging prod; do $(VENV)/bin/enclave synth --stack $$s --out out/$$s.json; done

bench: $(VENV)/.runtime
	$(PY) bench/synth_bench.py
	$(PY) bench/preview_bench.py

# Mutation testing (mutmut, pinned, in its own venv under .tools/): a seeded sample of the mutants of the
# trust-boundary modules of components/, against the fast component tests, in a copy of the tree under
# build/mutation; about an hour on 2 cores. Not part of `make test`. Score and survivors: bench/mutation.md.
# MUTATE_TARGET=components (default: build/mutation) or pack (policy_packs/hipaa: build/mutation-pack);
# MUTATE_PER_MODULE / MUTATE_PER_FRAMEWORK_MODULE set the sample (bench/mutation.md).
mutate:
	PYTHON=$(PYTHON) bash tools/install-mutmut.sh
	nice -n 10 $${ENCLAVE_TOOLS_DIR:-.tools}/mutmut/bin/python bench/mutation.py run
	$${ENCLAVE_TOOLS_DIR:-.tools}/mutmut/bin/python bench/mutation.py report --by-package

mutate-pack:
	$(MAKE) mutate MUTATE_TARGET=pack

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
