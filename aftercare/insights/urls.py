from django.urls import path

from aftercare.insights import views

urlpatterns = [
    path("", views.dashboard_page, name="insights-dashboard"),
    path("refresh/", views.refresh, name="insights-refresh"),
    path("targets/", views.policy_update, name="insights-policy"),
    path("lost/", views.lost_page, name="insights-lost"),
    path("trends/", views.trends_page, name="insights-trends"),
    path("clients/<int:pk>/", views.client_view, name="insights-client"),
    path("clients/<int:pk>/reach-out/", views.reach_out, name="insights-reach-out"),
]
