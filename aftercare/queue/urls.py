from django.urls import path

from aftercare.queue import views

urlpatterns = [
    path("", views.care_queue, name="care-queue"),
    path("queue/act/", views.queue_act, name="care-queue-act"),
    path("hour/", views.care_hour, name="care-hour"),
    path("hours/", views.care_hours, name="care-hours"),
    path("hours/<int:pk>/delete/", views.care_hours_delete, name="care-hours-delete"),
    path("hours/feed/reset/", views.care_feed_reset, name="care-feed-reset"),
    path("feed/<str:token>.ics", views.care_feed, name="care-feed"),
]
