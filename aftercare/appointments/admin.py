from django.contrib import admin

from aftercare.appointments.models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "client", "practitioner", "kind", "status"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["practice", "client", "practitioner"]
