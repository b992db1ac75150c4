# The README's two commands, each creating the locked virtualenv (.venv) when missing:
#   make demo   -> runs configs/demo.yaml on the embedded synthetic cohort and prints the report path
#   make test   -> runs the test suite against the built wheel installed in the locked environment
#
# What gets installed is what users get: the exact versions of requirements/lock.txt (with hashes),
# and iej_impact as a wheel built from its sdist (not an editable checkout).
# Further targets (CI runs all of them, see .ci/run):
#   make test-latest   newest release of every dependency, fast tests (-m "not slow"), versions printed
#   make test-oldest   the lowest versions pyproject.toml allows (requirements/oldest.txt), fast tests
#   make demo-wheel    the demo from a folder outside the repository, with the wheel-installed CLI
#   make lock          refresh requirements/lock.txt and requirements/oldest.txt (needs network; uses uv)
#   make dev           editable install into .venv for day-to-day development
#   make docs-reference regenerate docs/reference/ (data model, code lists, parsers) from the code
#   make raw-extracts  regenerate the fictional raw extracts configs/raw/ (configs/raw_extracts.yaml reads them)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
LOCK    = requirements/lock.txt
OLDEST  = requirements/oldest.txt
TOOLS   = requirements/tools.in
LATEST_VENV ?= .venv-latest
OLDEST_VENV ?= .venv-oldest
UV_VENV     ?= .venv-uv
# the runtime and test dependencies checked in test-latest (printed with their versions)
SHOWN   = numpy|pandas|scipy|statsmodels|scikit-learn|linearmodels|matplotlib|pyarrow|pyyaml|openpyxl|tqdm|pytest|hypothesis|duckdb|pyspark

.PHONY: demo test dist install dev test-latest test-oldest demo-wheel lock lint bench docs-reference raw-extracts clean

# The locked environment: recreated from scratch whenever the lock file changes.
$(VENV)/.locked: $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	touch $@

# sdist, then the wheel built from that sdist (python -m build does both), with the locked build tools.
dist: $(VENV)/.locked
	rm -rf dist build
	$(BIN)/python -m build --no-isolation --outdir dist . > /dev/null

# The wheel, installed as users install it (no editable link to src/).
install: dist
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall dist/iej_impact-*.whl

demo: install
	$(BIN)/iej-impact run configs/demo.yaml --force

test: install
	IEJ_WHEEL="$$(ls dist/iej_impact-*.whl)" IEJ_SDIST="$$(ls dist/iej_impact-*.tar.gz)" IEJ_EXPECT_INSTALLED=1 \
		$(BIN)/python -m pytest -q

# The demo run from an unrelated folder with the installed CLI: data files must come from the wheel.
demo-wheel: install
	d="$$(mktemp -d)" && cd "$$d" && $(CURDIR)/$(BIN)/iej-impact run $(CURDIR)/configs/demo.yaml --output-dir out \
		&& test -s out/results.json && test -s out/report.html && echo "demo from the wheel: OK ($$d/out)"

test-latest: dist
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager "$$(ls dist/iej_impact-*.whl)[test,duckdb]"
	@echo "newest releases resolved:"; $(LATEST_VENV)/bin/python -m pip list --format=freeze | grep -iE '^($(SHOWN))=='
	IEJ_WHEEL="$$(ls dist/iej_impact-*.whl)" IEJ_EXPECT_INSTALLED=1 $(LATEST_VENV)/bin/python -m pytest -q -m "not slow" -p no:cacheprovider

test-oldest: dist
	rm -rf $(OLDEST_VENV)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --require-hashes -r $(OLDEST)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --no-deps "$$(ls dist/iej_impact-*.whl)"
	@echo "oldest supported versions:"; $(OLDEST_VENV)/bin/python -m pip list --format=freeze | grep -iE '^($(SHOWN))=='
	IEJ_WHEEL="$$(ls dist/iej_impact-*.whl)" IEJ_EXPECT_INSTALLED=1 $(OLDEST_VENV)/bin/python -m pytest -q -m "not slow" -p no:cacheprovider

# Refresh both lock files (see README, "Locked environments"). uv resolves; pip installs.
lock:
	test -x $(UV_VENV)/bin/uv || ($(PYTHON) -m venv $(UV_VENV) && $(UV_VENV)/bin/python -m pip install --quiet uv)
	$(UV_VENV)/bin/uv pip compile pyproject.toml $(TOOLS) --extra test --extra bench --extra duckdb --extra spark --universal \
		--python-version 3.11 --fork-strategy fewest --generate-hashes --no-header -o $(LOCK)
	$(UV_VENV)/bin/uv pip compile pyproject.toml $(TOOLS) --extra test --extra bench --extra duckdb \
		--python-version 3.11 --resolution lowest-direct --generate-hashes --no-header -o $(OLDEST)

dev: $(VENV)/.locked
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

lint: $(VENV)/.locked
	$(BIN)/ruff check src tests benchmarks

bench: install
	$(BIN)/python benchmarks/run.py --suite foundation

# The reference pages are generated from src/ (tests/test_reference_docs.py fails when they are stale).
docs-reference: $(VENV)/.locked
	PYTHONPATH=src $(BIN)/python -m iej_impact.data._reference_docs --root .
	PYTHONPATH=src $(BIN)/python -m iej_impact.preparation._step_docs --root .

# The fictional raw extracts shipped in configs/raw/ (tests/test_raw_extracts.py checks they are what this writes).
RAW_EXTRACTS = configs/raw
RAW_COHORT   = n_participants=300, seed=20180101, panel="balanced"
raw-extracts: $(VENV)/.locked
	PYTHONPATH=src $(BIN)/python -c 'from iej_impact import export_raw_extracts, simulate_cohort; \
		export_raw_extracts(simulate_cohort($(RAW_COHORT)), "$(RAW_EXTRACTS)", seed=20180101)'

clean:
	rm -rf $(VENV) $(LATEST_VENV) $(OLDEST_VENV) runs build dist *.egg-info src/*.egg-info
