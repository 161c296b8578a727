"""Schemathesis over the REST API's own OpenAPI schema (/api/schema/).

Every operation in the schema at run time is a test of its own, named after
it (``test_api[POST /api/v1/queues/]``), so resources added later are covered
without touching this file. Each operation gets schemathesis' coverage cases
(boundary values of every parameter and field) and Hypothesis fuzzing (valid
and invalid data), sent in-process to the Django WSGI app with the help
desk's token, against the demo consortium (`manage.py seed_demo`): seeded
once for the module, each operation starting from the same rows (a savepoint
each), all rolled back at the end. A smaller pass does the same as a site
coordinator, to whom most rows are out of scope (404) or read-only (403).

Checked: no 5xx; status code, content type, headers and body as documented;
`Allow` lists the documented methods; an operation that needs a login
refuses requests without one or with a wrong token. `config()` says which
two checks are left out, and why.
"""

from __future__ import annotations

import copy

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from consortium.models import Staff

WSGI_APP = get_wsgi_application()


def config(max_examples: int, coverage: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20260101,
            "suppress-health-check": [
                "too_slow",
                "filter_too_much",
                "data_too_large",
                "large_base_example",
            ],
            "generation": {
                "mode": "all",
                "max-examples": max_examples,  # fuzzing cases per operation
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": False},  # none but page counts
                # Valid boundary values only: the invalid ones are ~3/4 of
                # all coverage cases (minutes per run) and fuzzing sends
                # invalid data of every kind anyway.
                "coverage": {"enabled": coverage, "generation": {"mode": "positive"}},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {
                # Left out: both judge API design rather than find bugs, and
                # fail on input that DRF reads this way on purpose.
                # - Schema-valid data can still be refused (400): a code must
                #   name an existing row, an end follow its start, a term be
                #   the consortium's... which no schema can say.
                "positive_data_acceptance": {"enabled": False},
                # - Some schema-invalid input is read leniently, as DRF and
                #   django-filter do: `{"name": 0}` is the string "0", `""`
                #   is null for an optional relation, an empty or unreadable
                #   query filter or `page_size` is ignored. Invalid data is
                #   still sent: it must get a documented answer, never a 5xx.
                "negative_data_rejection": {"enabled": False},
            },
        }
    )


schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", WSGI_APP, config=config(max_examples=10, coverage=True)
)
coordinator_schema = schemathesis.openapi.from_dict(
    copy.deepcopy(schema.raw_schema), config=config(max_examples=3, coverage=False)
)
coordinator_schema.app = WSGI_APP  # as `from_wsgi` does

# Hypothesis' side: deterministic, no example database, no deadline. An
# operation's cases share the test's fixtures on purpose (one seeded world).
HYPOTHESIS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture(scope="module")
def demo_tokens(django_db_setup, django_db_blocker):
    """The demo consortium, seeded once in a transaction rolled back when
    the module ends; the API tokens of the help desk and a coordinator."""
    # Requests reach Django's WSGI handler directly, not through its test
    # client: keep the connection (and its transaction) between them, as the
    # test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        atomics = [transaction.atomic(using=alias) for alias in connections]
        for atomic in atomics:
            atomic.__enter__()
        try:
            call_command("seed_demo", verbosity=0)
            for alias in connections:
                # Check the seed's deferred foreign keys now, once, rather
                # than again at the end of every test (PostgreSQL).
                connections[alias].check_constraints()
            coordinator = Staff.objects.get(username="sprc-coord")
            yield {
                "helpdesk": Token.objects.get(user__username="helpdesk").key,
                "coordinator": Token.objects.create(user=coordinator).key,
            }
        finally:
            for alias in connections:
                transaction.set_rollback(True, using=alias)
            for atomic in reversed(atomics):
                atomic.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(demo_tokens, db):
    return demo_tokens


@schema.parametrize()
@HYPOTHESIS
def test_api(case, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens['helpdesk']}"})


@coordinator_schema.parametrize()
@HYPOTHESIS
def test_api_as_coordinator(case, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens['coordinator']}"})
