from django.contrib import admin
from django.urls import include, path

from aftercare.clients import views as clients_views
from aftercare.queue import views as queue_views

urlpatterns = [
    path("", include("aftercare.monitoring.urls")),
    path("", include("aftercare.practice.urls")),
    # The owner's audit trail is a settings page, filtered with the client picker (clients).
    path("settings/audit/", clients_views.audit_trail, name="practice-audit"),
    path("today/", queue_views.today_page, name="queue-today"),
    path("clients/", include("aftercare.clients.urls")),
    path("appointments/", include("aftercare.appointments.urls")),
    # The care queue, care rules, promises and resources share the /care/ prefix.
    path("care/", include("aftercare.queue.urls")),
    path("care/", include("aftercare.care.urls")),
    path("care/", include("aftercare.promises.urls")),
    path("care/", include("aftercare.resources.urls")),
    path("messages/", include("aftercare.messaging.urls")),
    path("absences/", include("aftercare.absences.urls")),
    path("supplies/", include("aftercare.supplies.urls")),
    path("measures/", include("aftercare.measures.urls")),
    path("imports/", include("aftercare.imports.urls")),
    path("insights/", include("aftercare.insights.urls")),
    path("p/", include("aftercare.portal.urls")),
    path("hooks/", include("aftercare.messaging.hook_urls")),
    path("api/v1/", include("aftercare.api.urls")),
    path("admin/", admin.site.urls),
]
