from django.urls import path

from aftercare.imports import views

urlpatterns = [
    path("", views.home, name="imports-home"),
    path("clients/", views.upload_clients, name="imports-upload-clients"),
    path("<int:pk>/columns/", views.columns, name="imports-columns"),
    path("<int:pk>/dry-run/", views.dry_run, name="imports-dry-run"),
    path("<int:pk>/start/", views.start, name="imports-start"),
    path("<int:pk>/", views.progress, name="imports-progress"),
    path("calendar/", views.upload_calendar, name="imports-upload-calendar"),
    path("calendar/subscribe/", views.subscribe_calendar, name="imports-subscribe"),
    path(
        "calendar/subscriptions/<int:pk>/remove/",
        views.unsubscribe_calendar,
        name="imports-unsubscribe",
    ),
    path("calendar/unmatched/", views.unmatched, name="imports-unmatched"),
    path("calendar/unmatched/<int:pk>/", views.match, name="imports-match"),
    path(
        "export/<str:what>.<str:fmt>",
        views.export,
        name="imports-export",
    ),
]
