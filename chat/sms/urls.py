from django.urls import path

from chat.sms import views

urlpatterns = [
    path("sms/twilio/inbound/", views.inbound, name="sms-twilio-inbound"),
    path("sms/twilio/status/", views.status, name="sms-twilio-status"),
]
