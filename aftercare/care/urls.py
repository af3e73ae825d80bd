from django.urls import path

from aftercare.care import views_queue

urlpatterns = [
    path("", views_queue.care_queue, name="care-queue"),
    path("queue/act/", views_queue.queue_act, name="care-queue-act"),
    path("hour/", views_queue.care_hour, name="care-hour"),
    path("hours/", views_queue.care_hours, name="care-hours"),
    path("hours/<int:pk>/delete/", views_queue.care_hours_delete, name="care-hours-delete"),
    path("hours/feed/reset/", views_queue.care_feed_reset, name="care-feed-reset"),
    path("feed/<str:token>.ics", views_queue.care_feed, name="care-feed"),
]
