from django.urls import path

from aftercare.clients import views

urlpatterns = [
    path("", views.client_list, name="clients-list"),
    path("new/", views.client_create, name="clients-create"),
    path("pick/", views.client_pick, name="clients-pick"),
    path("<int:pk>/", views.client_detail, name="clients-detail"),
    path("<int:pk>/edit/", views.client_edit, name="clients-edit"),
    path("<int:pk>/archive/", views.client_archive, name="clients-archive"),
]
