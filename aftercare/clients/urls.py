from django.urls import path

from aftercare.clients import views

urlpatterns = [
    path("", views.client_list, name="clients-list"),
    path("new/", views.client_create, name="clients-create"),
    path("pick/", views.client_pick, name="clients-pick"),
    path("<int:pk>/", views.client_detail, name="clients-detail"),
    path("<int:pk>/edit/", views.client_edit, name="clients-edit"),
    path("<int:pk>/archive/", views.client_archive, name="clients-archive"),
    path("<int:pk>/export.<str:extension>", views.client_export_download, name="clients-export"),
    path("<int:pk>/erase/", views.client_erase_page, name="clients-erase"),
    path("<int:pk>/merge/", views.client_merge_page, name="clients-merge"),
]
