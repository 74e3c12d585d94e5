from django.urls import path

from market.messages import stop_views, views

app_name = "messages"

urlpatterns = [
    path("mensajes/twilio/estado/", views.twilio_status, name="twilio_status"),
    path("mensajes/twilio/entrante/", views.twilio_incoming, name="twilio_incoming"),
    path("mensajes/parar/<str:token>/", stop_views.stop_email, name="stop"),
]
