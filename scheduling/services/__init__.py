"""Every write to the schedule (S1-S8). The admin, the desk's schedule pages,
the REST API and the beat tasks call these; see each module."""

from scheduling.services import alerts  # noqa: F401
from scheduling.services.changes import (  # noqa: F401
    change_request_decide,
    change_request_submit,
    change_request_withdraw,
    describe_request,
)
from scheduling.services.feeds import calendar_feed, calendar_feed_reset  # noqa: F401
from scheduling.services.shifts import (  # noqa: F401
    describe,
    requirements_set,
    shift_assign,
    shift_cancel,
    shift_create,
    shifts_sync_all,
    slot_delete,
    slot_save,
    slot_sync,
    term_started,
)
from scheduling.services.substitutes import (  # noqa: F401
    offers_sweep,
    shift_claim,
    shift_give_up,
    substitution_decide,
    substitution_widen,
    substitution_withdraw,
)
