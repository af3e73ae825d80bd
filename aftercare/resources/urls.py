from django.urls import path

from aftercare.resources import views

urlpatterns = [
    path("resources/", views.resource_list, name="resources-list"),
    path("resources/new/", views.resource_create, name="resources-create"),
    path("resources/<int:pk>/", views.resource_detail, name="resources-detail"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resources-edit"),
    path("resources/<int:pk>/delete/", views.resource_delete, name="resources-delete"),
    path("clients/<int:client_pk>/share-resource/", views.resource_share, name="resources-share"),
]
