from django.urls import path

from aftercare.messaging import hooks

urlpatterns = [
    path("twilio/sms", hooks.twilio_sms, name="hooks-twilio-sms"),
    path("twilio/status", hooks.twilio_status, name="hooks-twilio-status"),
    path("email/<str:token>", hooks.inbound_email, name="hooks-email"),
]
