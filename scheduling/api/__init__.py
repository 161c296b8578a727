"""REST resources of the schedule (SPEC A2): shifts, weekly shifts, coverage
gaps, substitute and schedule-change requests, writing through
`scheduling.services`."""
