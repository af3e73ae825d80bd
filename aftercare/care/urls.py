from django.urls import path

from aftercare.care import views

urlpatterns = [
    path("rules/", views.care_rules, name="care-rules"),
    path("rules/new/", views.care_rules_create, name="care-rules-create"),
    path("rules/<int:pk>/", views.care_rules_edit, name="care-rules-edit"),
    path("rules/<int:pk>/toggle/", views.care_rules_toggle, name="care-rules-toggle"),
    path("rules/<int:pk>/delete/", views.care_rules_delete, name="care-rules-delete"),
]
