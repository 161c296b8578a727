"""`/api/v1/` (the consortium core's resources) and the OpenAPI schema and
docs. Other apps register their viewsets on `router` from their own `api/`."""

from importlib import import_module

from csp.constants import SELF
from csp.decorators import csp_replace
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from consortium.api import views

router = DefaultRouter()
router.register("libraries", views.LibraryViewSet, basename="library")
router.register("queues", views.QueueViewSet, basename="queue")
router.register("hours", views.PostedHoursViewSet, basename="hours")
router.register("terms", views.TermViewSet, basename="term")
router.register("holidays", views.HolidayViewSet, basename="holiday")
router.register("closures", views.ClosureViewSet, basename="closure")
router.register("staff", views.StaffViewSet, basename="staff")
router.register("announcements", views.AnnouncementViewSet, basename="announcement")
router.register(
    "problem-reports", views.ProblemReportViewSet, basename="problem-report"
)

# Each app's resources: `<app>/api/routes.py` lists (prefix, viewset, basename).
for app in ("scheduling", "knowledgebase", "chat"):
    try:
        routes = import_module(f"{app}.api.routes").ROUTES
    except ModuleNotFoundError as missing:
        if missing.name not in (f"{app}.api", f"{app}.api.routes"):
            raise
        continue
    for prefix, viewset, basename in routes:
        router.register(prefix, viewset, basename=basename)


class NotFoundView(APIView):
    """No such resource: 404 (401 first when not logged in, as everywhere)."""

    schema = None  # not an operation of the schema

    def handle(self, request, *args, **kwargs):
        raise NotFound()

    get = post = put = patch = delete = head = options = handle


urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The docs pages load no inline script or style (Content-Security-Policy):
    # the split view serves Swagger UI's start-up script at ?script, and our
    # templates move the inline styles into a static file.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # ReDoc styles itself with styled-components, which inserts <style>
    # elements a nonce cannot reach inside the bundle, and searches in a
    # worker made from a blob: this page alone allows inline styles and blob:
    # workers (never inline scripts). It shows only our own schema. Its
    # "powered by" logo from cdn.redoc.ly stays blocked: the docs stay local.
    path(
        "redoc/",
        csp_replace(
            {"style-src": [SELF, "'unsafe-inline'"], "worker-src": [SELF, "blob:"]}
        )(
            SpectacularRedocView.as_view(
                url_name="api-schema", template_name="api/redoc.html"
            )
        ),
        name="api-redoc",
    ),
    # Last: any other path under /api/ (an id that is not a number, a typo)
    # is a 404 in the one error format, not Django's HTML page. Only paths
    # ending in "/": the others still get APPEND_SLASH's redirect first.
    re_path(r"^(?:.*/)?$", NotFoundView.as_view()),
]
