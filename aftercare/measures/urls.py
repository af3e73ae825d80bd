from django.urls import path

from aftercare.measures import views

urlpatterns = [
    path("worsened/", views.measure_worsened, name="measures-worsened"),
    path("<int:pk>/", views.measure_detail, name="measures-detail"),
    path("clients/<int:pk>/send/", views.measure_send_view, name="measures-send"),
    path("clients/<int:pk>/fill/", views.measure_fill, name="measures-fill"),
]
