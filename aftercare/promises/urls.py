from django.urls import path

from aftercare.promises import views

urlpatterns = [
    path("clients/<int:client_pk>/promises/new/", views.promise_create, name="promises-create"),
    path("clients/<int:client_pk>/referrals/new/", views.referral_create, name="referrals-create"),
    path("referrals/<int:pk>/outcome/", views.referral_outcome, name="referrals-outcome"),
]
