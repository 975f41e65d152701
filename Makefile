# The README's two commands are `make book` and `make test`. Both create .venv on first use
# (pinned versions from requirements/lock.txt) and reuse it afterwards.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test lint env notebooks student bench lab clean

env: $(STAMP)

$(STAMP): requirements/lock.txt requirements/nodeps.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/nodeps.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

MATHJAX := _vendor/mathjax/tex-mml-chtml.js

# MathJax ships inside a wheel (django-static-mathjax) so the book renders math offline. It is
# copied to _build/html/mathjax/ via html_extra_path (not _static/, whose .js files Jupyter Book
# would load on every page).
$(MATHJAX): $(STAMP)
	rm -rf _vendor/mathjax
	$(BIN)/python -c "import mathjax, os, shutil; shutil.copytree(os.path.join(os.path.dirname(mathjax.__file__), 'static', 'mathjax', 'es5'), '_vendor/mathjax')"

# Notebooks executed for the book, the tests and the stored outputs show no progress bars
# (genolearn.deep.train_model draws one after 2 s of training unless GENOLEARN_PROGRESS=0), so
# their outputs are reproducible; `make lab` keeps them.
book test notebooks bench: export GENOLEARN_PROGRESS = 0

## Build the HTML book (executes notebooks through the jupyter-cache; warnings are errors).
## The student notebooks are generated first so the book can offer them for download.
book: $(STAMP) $(MATHJAX)
	$(BIN)/genolearn release chapters -o book/student > /dev/null
	$(BIN)/jupyter-book build -W -n --keep-going .

## Run the whole test suite: lint, unit tests, check-vs-mutant tests, grading tests, nbval over
## every chapter notebook, and the real-browser tests of the built book (hence the book first).
test: book
	$(BIN)/ruff check genolearn tests benchmarks book/_ext
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check genolearn tests benchmarks book/_ext
	$(BIN)/ruff format --check genolearn tests benchmarks book/_ext

## Run every benchmark and print one table (book build cold and cached, notebook times,
## numpy-vs-torch training, grading throughput).
bench: $(STAMP) $(MATHJAX)
	$(BIN)/python benchmarks/run_all.py

## Re-execute the source notebooks in place, storing the outputs nbval compares against.
notebooks: $(STAMP)
	$(BIN)/genolearn execute chapters

## Open the chapters in JupyterLab (installed into .venv on first use; not needed for the book).
lab: $(STAMP)
	$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/python -m pip install --quiet jupyterlab==4.6.6
	$(BIN)/jupyter lab chapters

## Generate the student notebooks (solutions replaced by stubs) into student/.
student: $(STAMP)
	$(BIN)/genolearn release chapters -o student

clean:
	rm -rf _build student
