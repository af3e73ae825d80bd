from django.urls import path

from aftercare.absences import views

urlpatterns = [
    path("", views.absence_list, name="absences-list"),
    path("new/", views.absence_create, name="absences-create"),
    path("<int:pk>/edit/", views.absence_edit, name="absences-edit"),
    path("<int:pk>/cancel/", views.absence_cancel, name="absences-cancel"),
    path("notice/<int:practice_id>/<str:token>/", views.public_notice, name="absences-notice"),
]
