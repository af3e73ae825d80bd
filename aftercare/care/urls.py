from django.urls import path

from aftercare.care import views_queue, views_rules

urlpatterns = [
    path("", views_queue.care_queue, name="care-queue"),
    path("queue/act/", views_queue.queue_act, name="care-queue-act"),
    path("hour/", views_queue.care_hour, name="care-hour"),
    path("hours/", views_queue.care_hours, name="care-hours"),
    path("hours/<int:pk>/delete/", views_queue.care_hours_delete, name="care-hours-delete"),
    path("hours/feed/reset/", views_queue.care_feed_reset, name="care-feed-reset"),
    path("rules/", views_rules.care_rules, name="care-rules"),
    path("rules/new/", views_rules.care_rules_create, name="care-rules-create"),
    path("rules/<int:pk>/", views_rules.care_rules_edit, name="care-rules-edit"),
    path("rules/<int:pk>/toggle/", views_rules.care_rules_toggle, name="care-rules-toggle"),
    path("rules/<int:pk>/delete/", views_rules.care_rules_delete, name="care-rules-delete"),
    path("feed/<str:token>.ics", views_queue.care_feed, name="care-feed"),
]
