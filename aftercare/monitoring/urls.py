from __future__ import annotations

from django.urls import path

from aftercare.monitoring import views

urlpatterns = [
    path("healthz", views.healthz, name="monitoring-healthz"),
    path("readyz", views.readyz, name="monitoring-readyz"),
    path("metrics", views.metrics_view, name="monitoring-metrics"),
]
