from django.contrib import admin

from aftercare.clients.models import Client, ConsentEvent, Tag


class ConsentInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["given_name", "family_name", "practice", "preferred_channel", "archived"]
    list_filter = ["archived", "preferred_channel"]
    search_fields = ["given_name", "family_name", "email"]
    raw_id_fields = ["practice", "primary_practitioner"]
    inlines = [ConsentInline]


admin.site.register(Tag)
