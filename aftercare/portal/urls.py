from django.urls import path, re_path

from aftercare.portal import views

urlpatterns = [
    path("c/<str:token>/", views.check_in, name="portal-check-in"),
    path("c/<str:token>/thanks/", views.check_in_thanks, name="portal-check-in-thanks"),
    path("c/<str:token>/new-link/", views.check_in_new_link, name="portal-check-in-new-link"),
    path("prefs/<str:token>/", views.preferences, name="portal-preferences"),
    path("u/<str:token>/", views.unsubscribe, name="portal-unsubscribe"),
    path("r/<str:token>/", views.resource, name="portal-resource"),
    path("m/<str:token>/", views.message, name="portal-message"),
    path("q/<str:token>/", views.measure, name="portal-measure"),
    path("q/<str:token>/thanks/", views.measure_thanks, name="portal-measure-thanks"),
    path("a/<str:token>/", views.appointment, name="portal-appointment"),
    path("k/<str:token>/", views.consent, name="portal-consent"),
    re_path(r"^colour/(?P<rgb>[0-9a-f]{6})\.css$", views.colour, name="portal-colour"),
]
