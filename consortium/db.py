"""Telling database errors apart, so code catches only the one it expects."""

from __future__ import annotations

from django.db import IntegrityError, models


def is_unique_violation(
    error: IntegrityError, model: type[models.Model], constraint: str
) -> bool:
    """Whether `error` is a violation of `model`'s unique constraint named
    `constraint`, and not of another key or a NOT NULL, check or foreign-key
    constraint. PostgreSQL names the constraint; SQLite names its columns."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:  # psycopg
        return cause.sqlstate == "23505" and diag.constraint_name == constraint
    (unique,) = [c for c in model._meta.constraints if c.name == constraint]
    table = model._meta.db_table
    columns = ", ".join(
        f"{table}.{model._meta.get_field(name).column}" for name in unique.fields
    )
    return str(error) == f"UNIQUE constraint failed: {columns}"
