# Make targets of the CloudTrail Sigma toolkit. `make help` lists them.
# Every target installs what it needs into the project virtual environment (.venv) first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= out

# Options users set on the command line, e.g. `make splunk INDEX=aws`.
RULE ?=
INDEX ?=
SOURCETYPE ?= aws:cloudtrail
EVENTS ?=
JSON ?=
STRICT ?=
DEBUG ?=
LOGS ?=
ENGINE ?= duckdb
SPARK_MASTER ?= local[*]

RULE_ARGS := $(if $(RULE),--rule "$(RULE)")
EVENTS_ARGS := $(if $(EVENTS),--events "$(EVENTS)")
LOGS_ARGS := $(foreach path,$(LOGS),--logs "$(path)")
CLI := $(PY) -m converters $(if $(DEBUG),--debug)

DEPS_STAMP := $(VENV)/.deps-installed
CODE_STAMP := $(VENV)/.code-installed
CODE_FILES := $(shell find pipelines converters -type f \( -name '*.py' -o -name '*.lark' -o -name '*.json' -o -name 'py.typed' \) 2>/dev/null)

.DEFAULT_GOAL := help

.PHONY: help install splunk verify hunt bench test clean

help: ## List the targets and their options
	@echo "Usage: make TARGET [OPTION=value ...]"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14
	@echo
	@echo "Options: RULE=path (one other Sigma rule file; default: every rule in sigma/)"
	@echo "         INDEX=name SOURCETYPE=name (splunk; default sourcetype aws:cloudtrail)"
	@echo "         EVENTS=path JSON=1 STRICT=1 (verify)   DEBUG=1 (show tracebacks)"
	@echo "         LOGS='paths' ENGINE=duckdb|spark SPARK_MASTER=url STRICT=1 (hunt)"

$(DEPS_STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock '.[test]'
	@touch $@

# The project installs as a regular (non-editable) package: sigma-cli only finds
# pipelines in the sigma.pipelines namespace of an installed package, and a default
# editable install hides them. Reinstall whenever the code changes.
$(CODE_STAMP): $(DEPS_STAMP) $(CODE_FILES)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall .
	@touch $@

install: $(CODE_STAMP) ## Install the project into .venv, so `.venv/bin/sigma convert -p cloudtrail_splunk` works
	@echo "Installed. Try: $(VENV)/bin/sigma convert -t splunk -p cloudtrail_splunk sigma/aws_rds_snapshot_cross_region.yml"

splunk: $(CODE_STAMP) ## Print the SPL and write out/splunk/savedsearches.conf
	@$(CLI) splunk $(RULE_ARGS) --index "$(INDEX)" --sourcetype "$(SOURCETYPE)" --out "$(OUT)"

verify: $(CODE_STAMP) ## Run every emitted query on EVENTS (default: the bundled cases) and compare verdicts
	@$(CLI) verify $(RULE_ARGS) $(EVENTS_ARGS) $(if $(JSON),--json) $(if $(STRICT),--strict)

hunt: $(CODE_STAMP) ## Run the rules over CloudTrail LOGS (default: the bundled events) and write $(OUT)/hunt/
	@$(CLI) hunt $(RULE_ARGS) $(LOGS_ARGS) --engine "$(ENGINE)" --spark-master "$(SPARK_MASTER)" --out "$(OUT)" $(if $(STRICT),--strict)

bench: $(CODE_STAMP) ## Benchmark hunt against decompression and a plain Python loop (minutes; not in CI)
	@$(PY) -m converters.bench --out "$(OUT)/bench"

test: $(CODE_STAMP) ## Run the test suite
	$(PY) -m pytest

clean: ## Remove generated output and the virtual environment
	rm -rf $(OUT) $(VENV) build *.egg-info .pytest_cache
