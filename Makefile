# Two entry points, each creating the virtualenv when missing:
#   make demo   -> runs configs/demo.yaml on the embedded synthetic cohort and prints the report path
#   make test   -> runs the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/iej-impact: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(BIN)/iej-impact

demo: $(BIN)/iej-impact
	$(BIN)/iej-impact run configs/demo.yaml --force

test: $(BIN)/iej-impact
	$(BIN)/python -m pytest -q

lint: $(BIN)/iej-impact
	$(BIN)/ruff check src tests benchmarks

bench: $(BIN)/iej-impact
	$(BIN)/python benchmarks/run.py --suite foundation

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
