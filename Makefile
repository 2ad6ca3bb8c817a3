# aidbooks — `make demo` and `make test` work on a fresh machine (Python 3.11+).
#
#   make demo   set up, check the example fund in ledger/, write its report, verify it
#   make test   set up (Python packages at the locked versions; Debian's chromium when
#               run as root), lint, type-check and run every test
#   make test-fast   the edit-run loop: lint, type-check, every test not marked slow
#   make test-latest the same as make test in a second venv (.venv-latest) with the
#               newest versions pyproject.toml allows, ignoring the lock: drift shows
#               here before users see it
#   make lock   re-resolve requirements/lock.txt from pyproject.toml (on purpose only)
#   make bench  measure aidbooks against bare Beancount (not part of `make test`):
#               generates 10k/100k/300k-transaction books (cached in bench/books/),
#               prints the table of ratios and writes bench/RESULTS.md
#               (SIZES=10000,100000 RUNS=5 to change what is measured)
#   make fuzz   the robustness fuzzers with a long budget (not part of `make test`)
#   make example  regenerate the example fund in ledger/ from its seed
#   make i18n   re-extract the report's messages and recompile the catalogs

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The exact versions make demo, make test and CI install. LOCKED=no (make test-latest)
# installs the newest versions pyproject.toml allows instead.
LOCK := requirements/lock.txt
LOCKED ?= yes
ifeq ($(LOCKED),no)
INSTALL_FROM := --upgrade --upgrade-strategy eager
else
INSTALL_FROM := --constraint $(LOCK)
endif
PYTEST_ARGS ?=
SIZES ?= 10000,100000,300000
RUNS ?= 3
BENCH_ARGS ?=

.PHONY: setup system-deps demo test test-fast test-latest lock lint typecheck pytest example bench fuzz clean i18n i18n-init

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(INSTALL_FROM) -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests need: chromium for the browser tests (Playwright drives
# it through executable_path; no browser download works here).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "error: /usr/bin/chromium is missing; run 'sudo apt-get install chromium' (browser tests need it)" >&2; exit 1; \
	  fi; \
	fi

# The demo report is sealed with a throwaway key kept in .build/ (never a real fund's key),
# and published from a fresh copy of the example fund in .build/demo-books, since
# publishing records the release in the books (published/) and ledger/ stays as generated.
DEMO_KEY := .build/demo.key
DEMO_BOOKS := .build/demo-books

demo: setup
	$(BIN)/aidbooks check --strict ledger/main.beancount
	@echo "The example fund in ledger/ passes every check, the strict ones too."
	@test -f $(DEMO_KEY) || $(BIN)/python -c "from pathlib import Path; from aidbooks.plugins.keys import write_key_file; write_key_file(Path('$(DEMO_KEY)'))"
	@rm -rf $(DEMO_BOOKS) && mkdir -p .build && cp -r ledger $(DEMO_BOOKS) && rm -rf $(DEMO_BOOKS)/template
	AIDBOOKS_KEY_FILE=$(DEMO_KEY) $(BIN)/aidbooks report $(DEMO_BOOKS)/main.beancount --period 2025 --out demo-report
	AIDBOOKS_KEY_FILE=$(DEMO_KEY) $(BIN)/aidbooks verify demo-report --ledger $(DEMO_BOOKS)/main.beancount
	@echo "Open $(CURDIR)/demo-report/index.html in a browser (no network needed)."
	@echo "The release is recorded in $(DEMO_BOOKS)/published/2025."

lint: setup
	$(BIN)/ruff check aidbooks plugins importers reports tests ledger/template bench
	$(BIN)/ruff format --check aidbooks plugins importers reports tests ledger/template bench

# mypy cannot follow the editable install's folder mapping, so it checks a tree of
# symlinks laid out as the installed `aidbooks` package, and the tests beside it.
typecheck: setup
	@rm -rf .build/typecheck && mkdir -p .build/typecheck/aidbooks
	@for f in aidbooks/*; do ln -s "$(CURDIR)/$$f" .build/typecheck/aidbooks/; done
	@ln -s "$(CURDIR)/plugins" .build/typecheck/aidbooks/plugins
	@ln -s "$(CURDIR)/importers" .build/typecheck/aidbooks/importers
	@ln -s "$(CURDIR)/reports" .build/typecheck/aidbooks/reports
	@ln -s "$(CURDIR)/ledger/template" .build/typecheck/aidbooks/template
	@ln -s "$(CURDIR)/tests" .build/typecheck/tests
	cd .build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p aidbooks -p tests
	$(BIN)/mypy --config-file pyproject.toml bench/bench.py bench/fava_bench.py bench/history.py

pytest: setup system-deps
	AIDBOOKS_LOCKED=$(LOCKED) $(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest

# Everything but the tests marked slow (make test still runs them all).
test-fast: lint typecheck
	$(MAKE) pytest PYTEST_ARGS='-m "not slow" $(PYTEST_ARGS)'

# The newest versions pyproject.toml allows, in a venv of their own.
test-latest:
	$(MAKE) test VENV=.venv-latest LOCKED=no

# Re-resolve the lock from pyproject.toml in a throwaway venv. Run it on purpose (a new
# dependency, a wanted upgrade), then make test, and commit the lock with the change.
lock:
	rm -rf .build/lock-venv
	$(PYTHON) -m venv .build/lock-venv
	.build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@mkdir -p $(dir $(LOCK))
	@{ echo "# The exact versions make demo, make test and CI install (pip constraints)."; \
	   echo "# Written by make lock from pyproject.toml; tests/test_lock.py checks they agree."; \
	   .build/lock-venv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check \
	     | LC_ALL=C sort -f; } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)
	rm -rf .build/lock-venv
	@echo "wrote $(LOCK); run make test and commit it"

# The fuzz tests run in `make test` with a bounded budget; here with FUZZ_SCALE times
# the examples, then atheris (coverage-guided, on the importers) for FUZZ_SECONDS.
# Failing atheris inputs are left as .build/fuzz/crash-*.
FUZZ_SCALE ?= 50
FUZZ_SECONDS ?= 600
FUZZ_TESTS := tests/test_fuzz_importers.py tests/test_fuzz_policy.py tests/test_fuzz_cli.py \
  tests/test_conservation.py tests/test_importers_property.py

fuzz: setup
	AIDBOOKS_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/pytest -n 2 -q -p no:cacheprovider $(FUZZ_TESTS)
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[fuzz]'; then \
	  mkdir -p .build/fuzz && cd .build/fuzz && \
	  ../../$(BIN)/python ../../tests/fuzz_atheris.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096; \
	else echo "atheris is not installable here; the hypothesis fuzzers ran"; fi

example: setup
	$(BIN)/python -m aidbooks.example --out ledger

# Not part of `make test`: takes a while (about 20 minutes for the default sizes) and
# wants a quiet machine. A smoke run on tiny books is (tests/test_bench.py).
bench: setup
	$(BIN)/python bench/bench.py --sizes $(SIZES) --runs $(RUNS) $(BENCH_ARGS)

# Report translations (reports/locale): extract messages, merge them into every
# catalog, compile the .mo files (committed, so a fresh clone needs no build step).
i18n: setup
	$(BIN)/pybabel extract -F reports/babel.cfg -k N_ --sort-by-file --no-wrap --project aidbooks \
	  --copyright-holder "aidbooks contributors" --add-comments=Translators: -o reports/locale/aidbooks.pot reports
	$(BIN)/pybabel update -i reports/locale/aidbooks.pot -d reports/locale -D aidbooks --no-wrap --no-fuzzy-matching
	$(BIN)/pybabel compile -d reports/locale -D aidbooks --statistics

# A new language: make i18n-init LOCALE=so, translate reports/locale/so/LC_MESSAGES/aidbooks.po,
# make i18n, then add the code to LANGUAGES in reports/i18n.py.
i18n-init: setup
	$(BIN)/pybabel init -i reports/locale/aidbooks.pot -d reports/locale -D aidbooks -l $(LOCALE) --no-wrap

clean:
	rm -rf .build .pytest_cache .mypy_cache .ruff_cache .venv-latest
