# The two set-up commands: `make run` and `make test`. Both create .venv and
# install the project and its models into it when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench install clean fonts chromium site

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# pkuseg ships the segmentation model but does not declare its build needs.
	$(PY) -m pip install --quiet "numpy>=1.26,<3" "cython>=3,<4" wheel "setuptools>=68"
	$(PY) -m pip install --quiet --no-build-isolation pkuseg==0.0.25
	# jionlp is read for its division data only: no dependencies, never imported.
	$(PY) -m pip install --quiet --no-deps jionlp==1.5.31
	$(PY) -m pip install --quiet -e '.[test,dask]'
	$(MAKE) --no-print-directory fonts
	# graphology-graphml, the GraphML parser of Gephi Lite, for the export tests.
	cd tests/js && npm ci --silent --no-audit --no-fund
	# ECharts, copied into the sites `kg site` writes (kg/site_assets/package-lock.json pins it).
	cd kg/site_assets && npm ci --silent --no-audit --no-fund
	$(MAKE) --no-print-directory chromium
	touch $(STAMP)

# A CJK font for `kg shared-programmes --png` (Debian's fonts-wqy-microhei).
fonts:
	@if ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	else echo "note: install a CJK font (apt-get install fonts-wqy-microhei) for kg shared-programmes --png"; fi

# Debian's Chromium for the browser test of `kg site`; Playwright drives it and never downloads a browser.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: install Chromium (apt-get install chromium) for the browser test of kg site"; fi

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/kg build seeds -o out
	$(VENV)/bin/kg site out -o out/site

test: $(STAMP)
	$(PY) -m pytest -q

# The fast lane: everything but the tests marked slow (worker pools, Dask, installs, fuzzing), under a minute.
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check kg tests bench

bench: $(STAMP)
	$(PY) bench/build_speed.py

# The explorer of the seeds' graph: open out/site/index.html in a browser.
site: $(STAMP)
	$(VENV)/bin/kg site out -o out/site

clean:
	rm -rf out .pytest_cache
