from django.urls import path

from aftercare.care import views_queue, views_records, views_rules

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
    path("resources/", views_records.resource_list, name="care-resources"),
    path("resources/new/", views_records.resource_create, name="care-resources-create"),
    path("resources/<int:pk>/", views_records.resource_detail, name="care-resources-detail"),
    path("resources/<int:pk>/edit/", views_records.resource_edit, name="care-resources-edit"),
    path("resources/<int:pk>/delete/", views_records.resource_delete, name="care-resources-delete"),
    path(
        "clients/<int:client_pk>/share-resource/",
        views_records.resource_share,
        name="care-resources-share",
    ),
    path(
        "clients/<int:client_pk>/promises/new/",
        views_records.promise_create,
        name="care-promises-create",
    ),
    path(
        "clients/<int:client_pk>/referrals/new/",
        views_records.referral_create,
        name="care-referrals-create",
    ),
    path(
        "referrals/<int:pk>/outcome/",
        views_records.referral_outcome,
        name="care-referrals-outcome",
    ),
]
