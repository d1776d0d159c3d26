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
ECS_INDEX ?=
FORMAT ?= esql
EVENTS ?=
JSON ?=
STRICT ?=
DEBUG ?=
LOGS ?=
ENGINE ?= duckdb
SPARK_MASTER ?= local[*]
AS_IS ?=

# Quote a value for the shell: user options may hold quotes, spaces or backslashes.
shell_quote = '$(subst ','\'',$(1))'
RULE_ARGS := $(if $(RULE),--rule $(call shell_quote,$(RULE)))
EVENTS_ARGS := $(if $(EVENTS),--events $(call shell_quote,$(EVENTS)))
LOGS_ARGS := $(foreach path,$(LOGS),--logs $(call shell_quote,$(path)))
CLI := $(PY) -m converters $(if $(DEBUG),--debug)

# panther-analysis-tool pins its dependencies to ranges that clash with ours (pytest,
# certifi, urllib3, click), so it gets a virtual environment of its own.
PANTHER_VENV ?= .venv-panther
PANTHER_STAMP := $(PANTHER_VENV)/.installed
# duckdb-kql and esql-parser pin different ANTLR runtimes, so the KQL-to-SQL translator
# gets a virtual environment of its own too. The KQL evaluator runs it as DUCKDB_KQL.
KQL_VENV ?= .venv-kql
KQL_STAMP := $(KQL_VENV)/.installed
DUCKDB_KQL ?= $(CURDIR)/$(KQL_VENV)/bin/duckdb-kql
export DUCKDB_KQL

DEPS_STAMP := $(VENV)/.deps-installed
CODE_STAMP := $(VENV)/.code-installed
CODE_FILES := $(shell find pipelines converters -type f \( -name '*.py' -o -name '*.lark' -o -name '*.json' -o -name '*.yml' -o -name '*.md' -o -name 'py.typed' \) 2>/dev/null)

.DEFAULT_GOAL := help

.PHONY: help install splunk elastic panther sentinel verify hunt bench test clean check contribution

help: ## List the targets and their options
	@echo "Usage: make TARGET [OPTION=value ...]"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14
	@echo
	@echo "Options: RULE=path (one other Sigma rule file; default: every rule in sigma/)"
	@echo "         INDEX=name SOURCETYPE=name (splunk; default sourcetype aws:cloudtrail)"
	@echo "         INDEX=pattern ECS_INDEX=pattern FORMAT=esql (elastic; INDEX is the raw CloudTrail index)"
	@echo "         EVENTS=path JSON=1 STRICT=1 (verify)   DEBUG=1 (show tracebacks)"
	@echo "         LOGS='paths' ENGINE=duckdb|spark SPARK_MASTER=url STRICT=1 (hunt)"
	@echo "         AS_IS=1 (check the rule files byte for byte, not as contributed)"

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

$(PANTHER_STAMP): requirements-panther.lock
	@test -x $(PANTHER_VENV)/bin/python || $(PYTHON) -m venv $(PANTHER_VENV)
	$(PANTHER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-panther.lock
	@touch $@

$(KQL_STAMP): requirements-kql.lock
	@test -x $(KQL_VENV)/bin/python || $(PYTHON) -m venv $(KQL_VENV)
	$(KQL_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-kql.lock
	@touch $@

install: $(CODE_STAMP) ## Install the project into .venv, so `.venv/bin/sigma convert -p cloudtrail_splunk` works
	@echo "Installed. Try: $(VENV)/bin/sigma convert -t splunk -p cloudtrail_splunk sigma/aws_rds_snapshot_cross_region.yml"

splunk: $(CODE_STAMP) ## Print the SPL and write out/splunk/savedsearches.conf
	@$(CLI) splunk $(RULE_ARGS) --index $(call shell_quote,$(INDEX)) --sourcetype $(call shell_quote,$(SOURCETYPE)) --out $(call shell_quote,$(OUT))

elastic: $(CODE_STAMP) ## Print the ES|QL queries; write them and out/elastic/kibana-rules.ndjson
	@$(CLI) elastic $(RULE_ARGS) --index $(call shell_quote,$(INDEX)) --ecs-index $(call shell_quote,$(ECS_INDEX)) --format $(call shell_quote,$(FORMAT)) --out $(call shell_quote,$(OUT))

panther: $(CODE_STAMP) ## Write $(OUT)/panther/<rule>.py and .yml: Panther rules with the cases as Tests
	@$(CLI) panther $(RULE_ARGS) --out $(call shell_quote,$(OUT))

sentinel: $(CODE_STAMP) ## Print the KQL and write $(OUT)/sentinel/<rule>.kql and .yaml (analytics rule)
	@$(CLI) sentinel $(RULE_ARGS) --out $(call shell_quote,$(OUT))

verify: $(CODE_STAMP) $(KQL_STAMP) ## Run every emitted query on EVENTS (default: the bundled cases) and compare verdicts
	@$(CLI) verify $(RULE_ARGS) $(EVENTS_ARGS) $(if $(JSON),--json) $(if $(STRICT),--strict)

hunt: $(CODE_STAMP) ## Run the rules over CloudTrail LOGS (default: the bundled events) and write $(OUT)/hunt/
	@$(PY) -m converters.hunt $(if $(DEBUG),--debug) $(RULE_ARGS) $(LOGS_ARGS) --engine $(call shell_quote,$(ENGINE)) --spark-master $(call shell_quote,$(SPARK_MASTER)) --out $(call shell_quote,$(OUT)) $(if $(STRICT),--strict)

bench: $(CODE_STAMP) ## Benchmark hunt against decompression and a plain Python loop (minutes; not in CI)
	@$(PY) -m converters.bench --out $(call shell_quote,$(OUT)/bench)

check: $(CODE_STAMP) ## Run SigmaHQ's CI checks offline on the rules as `make contribution` writes them
	@$(CLI) check $(RULE_ARGS) $(EVENTS_ARGS) $(if $(AS_IS),--as-is)

contribution: $(CODE_STAMP) ## Write out/sigmahq/: the rule in SigmaHQ's folders and PULL_REQUEST.md
	@$(CLI) contribution $(RULE_ARGS) $(EVENTS_ARGS) --out $(call shell_quote,$(OUT)/sigmahq)

test: $(CODE_STAMP) $(PANTHER_STAMP) $(KQL_STAMP) ## Run the test suite
	PANTHER_ANALYSIS_TOOL=$(PANTHER_VENV)/bin/panther_analysis_tool $(PY) -m pytest

clean: ## Remove generated output and the virtual environment
	rm -rf $(OUT) $(VENV) $(PANTHER_VENV) $(KQL_VENV) build *.egg-info .pytest_cache
