from django.urls import path

from scheduling import views

urlpatterns = [
    path("", views.my_shifts, name="schedule-mine"),
    path("act", views.action, name="schedule-action"),
    path("shifts/<int:pk>/", views.shift_detail, name="schedule-shift"),
    path("grid/", views.grid_index, name="schedule-grid-index"),
    path("grid/<slug:code>/", views.grid, name="schedule-grid"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="schedule-calendar"),
]
