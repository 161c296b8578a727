"""SQL the ORM does not spell the same on PostgreSQL and SQLite, and the
shapes of query long lists need.

- `Percentile`, `Percentiles` (several of one expression, in one sort) and
  `Seconds`: PostgreSQL has `PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)`
  (`p` a fraction or an array of them) and `date_part('epoch', interval)`;
  SQLite has neither. Its percentiles are Python aggregates registered on
  each new connection (`register_sqlite_functions`, connected in
  `ConsortiumConfig.ready`) that interpolate as PostgreSQL does
  (`percentile`); its seconds are Django's own timestamp difference in
  microseconds, divided.
- `aggregate_groups`: groups and their total in one statement on PostgreSQL;
  `without_jit` for such statements, whose JIT compilation costs more than
  they do.
- `search_by_table` and `sorted_after_filtering`: searches that each table's
  indexes answer, sorted once found.
"""

from __future__ import annotations

import json
import math
import re
from contextlib import contextmanager

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, transaction
from django.db.models import Aggregate, F, FloatField, Func, Q, QuerySet
from django.db.models.functions import Coalesce

SQLITE_PERCENTILE = "asktogether_percentile"
SQLITE_PERCENTILES = "asktogether_percentiles"
_POSITIONS = re.compile(r"\d+(, \d+)*")


def percentile(values: list[float], p: float) -> float | None:
    """The `p`-th percentile (0-100) of sorted `values`, interpolating
    linearly between the closest ranks (as PostgreSQL's `PERCENTILE_CONT`,
    numpy's default and a spreadsheet's PERCENTILE.INC); None when there
    are none."""
    return _interpolate(values, p / 100)


def _interpolate(values: list[float], fraction: float) -> float | None:
    # PostgreSQL's arithmetic (orderedsetaggs.c), so both databases agree to
    # the last bit.
    if not values:
        return None
    rank = fraction * (len(values) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return values[low] + (values[high] - values[low]) * (rank - low)


class Percentile(Aggregate):
    """The `p`-th percentile (0-100) of an expression over the group, with
    linear interpolation; NULLs are left out (so a `Case` without default
    picks the rows counted), and no rows give NULL."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, p: float, **extra):
        if not 0 <= p <= 100:
            raise ValueError(f"A percentile is between 0 and 100, not {p!r}.")
        # A float literal in the SQL: PostgreSQL wants a constant fraction.
        super().__init__(expression, fraction=repr(float(p) / 100), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function=SQLITE_PERCENTILE,
            template="%(function)s(%(expressions)s, %(fraction)s)",
            **extra_context,
        )


class Percentiles(Aggregate):
    """Several percentiles (0-100) of an expression over the group in one
    sort, as a list in the order of `ps` (each interpolated as `Percentile`,
    NULLs left out); None without rows. PostgreSQL's `PERCENTILE_CONT` of an
    array of fractions; on SQLite a registered aggregate answering JSON."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fractions)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, ps: tuple[float, ...], **extra):
        if not ps or not all(0 <= p <= 100 for p in ps):
            raise ValueError(f"Percentiles are between 0 and 100, not {ps!r}.")
        self.fractions = [float(p) / 100 for p in ps]
        # Float literals in the SQL: PostgreSQL wants constant fractions.
        array = "ARRAY[" + ", ".join(repr(f) for f in self.fractions) + "]"
        super().__init__(
            expression, fractions=array, output_field=FloatField(), **extra
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        listed = "'" + json.dumps(self.fractions) + "'"
        return self.as_sql(
            compiler,
            connection,
            function=SQLITE_PERCENTILES,
            template="%(function)s(%(expressions)s, " + listed + ")",
            **extra_context,
        )

    def get_db_converters(self, connection):
        return [self._as_list]

    @staticmethod
    def _as_list(value, expression, connection):
        if isinstance(value, str):  # SQLite's JSON
            value = json.loads(value)
        return None if value is None else [float(v) for v in value]


class Seconds(Func):
    """The seconds from instant `start` to instant `end` (field names or
    expressions), as a float; NULL if either is."""

    output_field = FloatField()

    def __init__(self, end, start, **extra):
        end = F(end) if isinstance(end, str) else end
        start = F(start) if isinstance(start, str) else start
        # A datetime minus a datetime resolves to Django's TemporalSubtraction:
        # an interval on PostgreSQL, microseconds (an integer) on SQLite.
        super().__init__(end - start, **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        # date_part gives a float8 at once; EXTRACT's numeric is slower to
        # compute and to cast, and a statistics query does it for every row.
        return self.as_sql(
            compiler,
            connection,
            template="date_part('epoch', %(expressions)s)",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s / 1000000.0)"
        )


class _SqlitePercentile:
    """SQLite's side of `Percentile`: collects the values, then interpolates."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        self.values.sort()
        return _interpolate(self.values, self.fraction)


class _SqlitePercentiles(_SqlitePercentile):
    """SQLite's side of `Percentiles`: the fractions come as JSON and so do
    the answers (NULL without values, as PostgreSQL's)."""

    def step(self, value, fractions):
        self.fraction = fractions
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        self.values.sort()
        fractions = json.loads(self.fraction)
        return json.dumps([_interpolate(self.values, f) for f in fractions])


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the aggregates SQLite lacks."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_PERCENTILE, 2, _SqlitePercentile)
        connection.connection.create_aggregate(
            SQLITE_PERCENTILES, 2, _SqlitePercentiles
        )


@contextmanager
def without_jit(using: str = "default"):
    """Run the block's queries without PostgreSQL's JIT compilation (in a
    transaction, `SET LOCAL jit = off`); elsewhere nothing.

    For statistics: dozens of filtered counts and percentiles give a cost
    estimate past `jit_above_cost`, and compiling them takes longer than
    running them (over a second per query at 100,000 conversations, against
    about a tenth of that for the query itself)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def aggregate_groups(
    rows: QuerySet, groups: dict, aggregates: dict
) -> tuple[list[dict], dict]:
    """`aggregates` of `rows` per group of the `groups` columns (name:
    expression), and of all `rows`: a list of dicts (group columns and
    aggregates) and the dict of the totals.

    On PostgreSQL this is one statement, `GROUP BY GROUPING SETS ((…), ())`,
    so the rows are read and joined once; elsewhere two queries. A total is
    not the sum of its groups when it is a percentile. No group column may be
    NULL: a NULL group is the total's row."""
    grouped = rows.annotate(**groups).values(*groups).annotate(**aggregates)
    query = grouped.query
    connection = connections[grouped.db]
    if connection.vendor != "postgresql" or query.order_by or query.is_sliced:
        return list(grouped), rows.aggregate(**aggregates)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    head, _, columns = sql.rpartition(" GROUP BY ")
    if compiler.having or not _POSITIONS.fullmatch(columns):
        # Not the `… GROUP BY 1, 2` (select-list positions, nothing after
        # them) this rewrites: the ORM's own two queries.
        return list(grouped), rows.aggregate(**aggregates)
    with connection.cursor() as cursor:
        cursor.execute(f"{head} GROUP BY GROUPING SETS (({columns}), ())", params)
        fetched = cursor.fetchall()
    converters = compiler.get_converters(
        [expression for expression, *_ in compiler.select[: compiler.col_count]]
    )
    if converters:
        fetched = compiler.apply_converters(fetched, converters)
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    found_rows, total = [], {}
    for values in fetched:
        row = dict(zip(names, values, strict=True))
        if all(row[name] is None for name in groups):
            total = {name: row[name] for name in aggregates}
        else:
            found_rows.append(row)
    return found_rows, total


def sorted_after_filtering(queryset: QuerySet) -> QuerySet:
    """`queryset` in the same order, but ordered by expressions no index
    is on, so the database finds the matching rows first (a search's
    trigram indexes) and then sorts them.

    For searches: the planner cannot tell how rare a word is, and when it
    guesses common it walks the index of the list's order, testing each row,
    until a page is full; for a rare word that is most of the table."""
    ordering = queryset.query.order_by or queryset.model._meta.ordering
    return queryset.order_by(*(_unindexed(term) for term in ordering))


def _unindexed(term):
    if not isinstance(term, str) or term == "?":
        return term
    name = term.lstrip("-")
    # COALESCE(x, x) is x, but not the column an index sorts by.
    value = Coalesce(F(name), F(name))
    return value.desc() if term.startswith("-") else value.asc()


def search_by_table(queryset: QuerySet, lookups: list[str], terms: list[str]):
    """The rows of `queryset` matching every one of `terms` in one of
    `lookups` (paths with their lookup: `subject__icontains`,
    `conversation__question__icontains`), each table searched on its own.

    A lookup through a foreign key becomes `conversation IN (the
    conversations that match)`, which the related table's own (trigram)
    indexes answer, instead of a join of both tables filtered row by row; the
    same rows either way, and no duplicates."""
    model = queryset.model
    conditions = []
    for term in terms:
        local, related = Q(), {}
        for lookup in lookups:
            relation, _, rest = lookup.partition("__")
            target = _forward_target(model, relation, rest)
            if target is None:
                local |= Q(**{lookup: term})
            else:
                related[relation] = related.get(relation, Q()) | Q(**{rest: term})
        condition = local
        if related and local:
            # Beside a related table's, this table's matches come from its
            # own indexes too: `pk IN (…)`, not a test of every row.
            condition = Q(pk__in=model._base_manager.filter(local).values("pk"))
        for relation, matching in related.items():
            target = model._meta.get_field(relation).related_model
            rows = target._base_manager.filter(matching).values("pk")
            condition |= Q(**{f"{relation}__in": rows})
        conditions.append(condition)
    return queryset.filter(*conditions)


def _forward_target(model, relation: str, rest: str):
    """The model `relation` (a foreign key or one-to-one of `model`) leads
    to, if `rest` is a field of it; None otherwise."""
    try:
        field = model._meta.get_field(relation)
    except FieldDoesNotExist:
        return None
    if not (field.many_to_one or (field.one_to_one and field.concrete)):
        return None
    try:
        field.related_model._meta.get_field(rest.split("__", 1)[0])
    except FieldDoesNotExist:
        return None
    return field.related_model
