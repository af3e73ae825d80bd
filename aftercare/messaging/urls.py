from django.urls import path

from aftercare.messaging import views

urlpatterns = [
    path("inbox/", views.inbox_page, name="messaging-inbox"),
    path("client/<int:client_id>/", views.conversation, name="messaging-conversation"),
    path("<int:pk>/unread/", views.mark_unread, name="messaging-unread"),
    path("outbox/", views.outbox, name="messaging-outbox"),
    path("outbox/<int:pk>/", views.message_detail, name="messaging-detail"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment,
        name="messaging-attachment",
    ),
    path("unmatched/", views.unmatched, name="messaging-unmatched"),
    path("<int:pk>/assign/", views.assign, name="messaging-assign"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="messaging-acknowledge"),
    path("client/<int:client_id>/reply/", views.reply, name="messaging-reply"),
    path(
        "client/<int:client_id>/consent-request/",
        views.send_consent_request,
        name="messaging-consent-request",
    ),
    path("settings/", views.messaging_settings, name="messaging-settings"),
    path("templates/", views.templates_list, name="messaging-templates"),
    path("templates/new/", views.template_create, name="messaging-template-create"),
    path("templates/preview/", views.template_preview, name="messaging-template-preview"),
    path(
        "templates/<str:key>/<str:language>/", views.template_edit, name="messaging-template-edit"
    ),
]
