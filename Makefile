# AskTogether — `make run` starts everything, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: install run test bench bench-lists migrate seed lint clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "AskTogether needs Python 3.11 or newer (found " + sys.version.split()[0] + ").")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# --demo: the phone simulator (/sms/simulator/) with a made-up Twilio token,
# unless .env or the environment configures Twilio (README, "Text messages").
run: seed
	exec $(BIN)/python manage.py run_all --demo

# Then the front end's unit tests (Node's built-in runner, no npm packages).
test: install
	$(BIN)/python -m pytest
	@if command -v node >/dev/null 2>&1; then node --test tests/js/; \
	else echo "skipped: node not found (the JavaScript unit tests in tests/js/ need Node 18+)"; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/chat_load.py
	$(BIN)/python bench/reports.py

# Every API list and admin changelist at 100,000 conversations and 1,000,000
# messages (PostgreSQL; its own database, seeded once: --reseed to redo).
bench-lists: install
	$(BIN)/python bench/lists.py

clean:
	rm -rf var staticfiles .pytest_cache
