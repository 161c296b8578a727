"""Admin of the schedule (SPEC S1-S8, C8). Site coordinators work on their
own library's weekly shifts, dated shifts, substitutes and change requests;
the help desk sees everything, sets coverage requirements and decides on
change requests. Every write goes through `scheduling.services`; a service's
refusal comes back as a message on the form or a per-row admin message
(`scheduling.admin.base.ServiceAdmin`)."""

from scheduling.admin import alerts, requirements, shifts, slots  # noqa: F401
