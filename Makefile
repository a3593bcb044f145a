# The two commands of the README: `make run` and `make test`. Each creates .venv
# with what it needs the first time (and again whenever pyproject.toml changes).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PACKAGE_STAMP := $(VENV)/.installed-package

.PHONY: run test lint typecheck unit bench package package-check clean tesseract

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "OCR Desk needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev]' --config-settings editable_mode=compat
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ocr-desk

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The Tesseract engine's tests run the real binary: install it when missing (as root
# through apt-get, as on CI), otherwise say what to install.
tesseract:
	@command -v tesseract >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing tesseract-ocr for the OCR engine tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null; \
	  else \
	    echo "The tests need Tesseract: install the tesseract-ocr package (apt-get install tesseract-ocr, brew install tesseract)"; \
	    exit 1; \
	  fi; }

unit: $(STAMP) tesseract
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# The installable bundle (packaging/README.md): dist/ocr-desk/ and, on Linux, the
# tarball. Prints the build time and the bundle size. Heavy: minutes of CPU.
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[server,dev,package]' --config-settings editable_mode=compat
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/python packaging/build.py

# Build, then run the unpacked tarball with no Python visible (packaging/check.py).
package-check: package
	$(BIN)/python packaging/check.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
