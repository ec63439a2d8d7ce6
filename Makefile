# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test venv venv-dev chromium libreoffice texlive clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per requirements file, so an edited pin reinstalls and nothing else does.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

demo: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The browser tests drive Debian's Chromium; Playwright's own browser download is not used.
chromium:
	@command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# The export tests open the files in LibreOffice Calc, as an analyst would,
# and the Word report in LibreOffice Writer.
libreoffice:
	@(command -v soffice >/dev/null && dpkg -s libreoffice-writer-nogui >/dev/null 2>&1) || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libreoffice-calc-nogui libreoffice-writer-nogui)

# The LaTeX tables are compiled with pdflatex (booktabs, longtable, pdflscape).
texlive:
	@(command -v pdflatex >/dev/null && kpsewhich booktabs.sty pdflscape.sty >/dev/null) || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends texlive-latex-base texlive-latex-recommended)

test: venv-dev chromium libreoffice texlive
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# Import and export a synthetic 1,000 x 300 x 3 study on a database of its
# own; prints the figures recorded in docs/performance.md.
.PHONY: bench
bench: venv
	$(BIN)/python -m tests.commands tests.perf.bench $(BENCH_ARGS)
	$(BIN)/python -m tests.commands tests.perf.invitations
	$(BIN)/python -m tests.commands tests.perf.study_files

# Security checks CI runs before the tests: bandit's medium and high findings
# over the apps, and `check --deploy` with the production variables of
# docs/deploy.md (throwaway values of the right shape).
.PHONY: security
security: venv-dev
	$(BIN)/bandit -q -r consensus surveys vignettes analysis config -ll
	DEBUG=0 ALLOWED_HOSTS=delphi.example.org \
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	PARTICIPANT_LINK_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	BALLOT_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	SECURE_HSTS_SECONDS=31536000 SECURE_HSTS_INCLUDE_SUBDOMAINS=1 SECURE_HSTS_PRELOAD=1 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# The import contracts of pyproject.toml: which app and layer may import which.
.PHONY: lint
lint: venv-dev
	$(BIN)/lint-imports

# 200 simulated panelists in 5 studies against gunicorn (4 workers) on the
# local PostgreSQL, then a count of every answer; see docs/performance.md.
.PHONY: loadtest
$(VENV)/.load: requirements-load.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-load.txt
	touch $@

loadtest: venv $(VENV)/.load
	bash tests/load/run.sh
