# The README's two commands are `make book` and `make test`. Both create .venv on first use
# (pinned versions from requirements/lock.txt) and reuse it afterwards.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test lint env notebooks student clean

env: $(STAMP)

$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

MATHJAX := _vendor/mathjax/tex-mml-chtml.js

# MathJax ships inside a wheel (django-static-mathjax) so the book renders math offline. It is
# copied to _build/html/mathjax/ via html_extra_path (not _static/, whose .js files Jupyter Book
# would load on every page).
$(MATHJAX): $(STAMP)
	rm -rf _vendor/mathjax
	$(BIN)/python -c "import mathjax, os, shutil; shutil.copytree(os.path.join(os.path.dirname(mathjax.__file__), 'static', 'mathjax', 'es5'), '_vendor/mathjax')"

## Build the HTML book (executes notebooks through the jupyter-cache; warnings are errors).
book: $(STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build -W -n --keep-going .

## Run the whole test suite: lint, unit tests, check-vs-mutant tests, nbval over every chapter notebook.
test: $(STAMP)
	$(BIN)/ruff check genolearn tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check genolearn tests benchmarks
	$(BIN)/ruff format --check genolearn tests benchmarks

## Re-execute the source notebooks in place, storing the outputs nbval compares against.
notebooks: $(STAMP)
	$(BIN)/genolearn execute chapters

## Generate the student notebooks (solutions replaced by stubs) into student/.
student: $(STAMP)
	$(BIN)/genolearn release chapters -o student

clean:
	rm -rf _build student
