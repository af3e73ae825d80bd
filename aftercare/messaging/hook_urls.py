from django.urls import path, re_path

from aftercare.messaging import hooks, providers

urlpatterns = [
    path("twilio/sms", hooks.twilio_sms, name="hooks-twilio-sms"),
    path("twilio/status", hooks.twilio_status, name="hooks-twilio-status"),
    path("email/<str:token>", hooks.inbound_email, name="hooks-email"),
    # Mailgun posts to .../inbound/ (parsed) or .../inbound_mime/ (raw), as its route says.
    re_path(
        r"^email/mailgun/inbound(?:_mime)?/$",
        providers.mailgun_inbound,
        name="hooks-email-mailgun",
    ),
    path("email/postmark/inbound/", providers.postmark_inbound, name="hooks-email-postmark"),
    path("email/sendgrid/inbound/", providers.sendgrid_inbound, name="hooks-email-sendgrid"),
    path("email/amazon_ses/inbound/", providers.amazon_ses_inbound, name="hooks-email-amazon-ses"),
]
