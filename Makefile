# Two commands matter (see README.md): `make run` and `make test`.
# Both create .venv on first use and reinstall only when pyproject.toml changes.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then echo $$p; break; fi; done)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint typecheck package package-test clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3 --version)"; exit 1; }
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/casenotes

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q

bench: $(STAMP)
	$(VPY) tests/benchmarks/bench_startup.py --json
	$(VPY) tests/benchmarks/bench_store.py --notes 100000 --json

lint: $(STAMP)
	$(VPY) -m pip install --quiet ruff mypy
	$(VPY) -m ruff check desktop_app tests
	$(VPY) -m mypy

package: $(STAMP)
	$(VPY) -m pip install --quiet 'pyinstaller>=6.5,<7'
	$(VPY) -m PyInstaller --noconfirm --clean packaging/casenotes.spec --distpath dist --workpath build

package-test: package
	QT_QPA_PLATFORM=offscreen dist/casenotes/casenotes self-test

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
