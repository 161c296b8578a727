"""The desk's schedule pages (SPEC S8): my shifts with their give-up, claim and
approval actions, one shift's history, a queue's week grid, and the private
iCalendar feed. Reads go through `scheduling.selectors`, writes through
`scheduling.services`."""

from scheduling.views.feed import calendar_feed  # noqa: F401
from scheduling.views.grid import grid, grid_index  # noqa: F401
from scheduling.views.mine import action, my_shifts  # noqa: F401
from scheduling.views.shift import shift_detail  # noqa: F401
