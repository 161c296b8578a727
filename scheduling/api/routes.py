"""The schedule's resources, registered under `/api/v1/` by
`consortium.api.urls`."""

from scheduling.api import views

ROUTES = [
    ("shifts", views.ShiftViewSet, "shift"),
    ("weekly-shifts", views.ShiftSlotViewSet, "weekly-shift"),
    ("coverage-gaps", views.CoverageGapViewSet, "coverage-gap"),
    (
        "coverage-requirements",
        views.CoverageRequirementViewSet,
        "coverage-requirement",
    ),
    ("substitute-requests", views.SubstitutionRequestViewSet, "substitute-request"),
    (
        "schedule-change-requests",
        views.ScheduleChangeRequestViewSet,
        "schedule-change-request",
    ),
]
