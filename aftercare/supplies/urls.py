from django.urls import path

from aftercare.supplies import reorder_link, views

urlpatterns = [
    path("running-out/", views.running_out, name="supplies-running-out"),
    path("client/<int:client_id>/new/", views.create, name="supplies-create"),
    path("<int:pk>/edit/", views.edit, name="supplies-edit"),
    path("<int:pk>/status/", views.set_status, name="supplies-status"),
    path("r/<str:token>/", reorder_link.reorder, name="supplies-reorder"),
]
