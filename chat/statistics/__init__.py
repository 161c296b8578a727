"""Help-desk statistics (SPEC R1, R2): how many questions were asked in a
period, how long patrons waited, how many chats were missed, how tickets and
texts were answered and within their deadlines, how chats were resolved, who
the patrons were and how they rated us, by library, channel or time
(`figures`, grouped by `groups`); and the co-op's give and take per library (`balance`).

Everything is counted by the database (`GROUP BY`; medians and 90th
percentiles are `PERCENTILE_CONT` on PostgreSQL, the same interpolation in a
registered aggregate on SQLite, `consortium.sql`): the number of queries
never grows with the number of rows. Periods are whole days in the
consortium's time zone (`periods`).
"""

from chat.statistics.balance import BALANCE_FIELDS, coop_balance, coop_scheduled_hours
from chat.statistics.figures import (
    FIGURE_NAMES,
    NOT_RECORDED,
    RATING_SCORES,
    READ_SCALE,
    conversation_statistics,
    narrowed,
)
from chat.statistics.groups import BY_CHOICES, HELPDESK, UNANSWERED
from chat.statistics.periods import (
    MAX_DAYS,
    PERIOD_CHOICES,
    Period,
    consortium_zone,
    local_midnight,
    month_period,
    named_period,
)
from consortium.sql import percentile

__all__ = [
    "BALANCE_FIELDS",
    "BY_CHOICES",
    "FIGURE_NAMES",
    "HELPDESK",
    "MAX_DAYS",
    "NOT_RECORDED",
    "PERIOD_CHOICES",
    "RATING_SCORES",
    "READ_SCALE",
    "UNANSWERED",
    "Period",
    "consortium_zone",
    "conversation_statistics",
    "coop_balance",
    "coop_scheduled_hours",
    "local_midnight",
    "month_period",
    "named_period",
    "narrowed",
    "percentile",
]
