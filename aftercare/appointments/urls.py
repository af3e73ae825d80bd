from django.urls import path

from aftercare.appointments import views

urlpatterns = [
    path("new/", views.appointment_create, name="appointments-create"),
    path("day/", views.appointment_day, name="appointments-day"),
    path("week/", views.appointment_week, name="appointments-week"),
    path("settings/", views.schedule_settings, name="appointments-settings"),
    path("<int:pk>/edit/", views.appointment_edit, name="appointments-edit"),
    path("<int:pk>/move/", views.appointment_move, name="appointments-move"),
    path("<int:pk>/status/", views.appointment_status, name="appointments-status"),
    path("<int:pk>/fee/", views.appointment_fee_override, name="appointments-fee-override"),
    path("fees/", views.fee_report_page, name="appointments-fees"),
    path("fees/export.csv", views.fee_export, name="appointments-fee-export"),
    path("fees/policy/", views.fee_policy_page, name="appointments-fee-policy"),
]
