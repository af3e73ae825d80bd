from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("aftercare.practice.urls")),
    path("clients/", include("aftercare.clients.urls")),
    path("appointments/", include("aftercare.appointments.urls")),
    path("api/v1/", include("aftercare.api.urls")),
    path("admin/", admin.site.urls),
]
