from django.contrib import admin
from django.urls import include, path

from consortium import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("consortium.api.urls")),
    path("", include("chat.urls")),
    path("", include("chat.sms.urls")),
    path("schedule/", include("scheduling.urls")),
    path("libraries/", views.library_list, name="library-list"),
    path("", include("knowledgebase.urls")),
    path("libraries/<slug:code>/", views.library_hours, name="library-hours"),
    path("widget/embed.js", views.embed_js, name="widget-embed"),
    path("widget/<slug:code>/status.json", views.widget_status, name="widget-status"),
    path("desk/directory/", views.directory, name="directory"),
    path(
        "desk/problem-reports/new/", views.problem_report_new, name="problem-report-new"
    ),
]
