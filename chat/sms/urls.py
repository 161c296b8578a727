from django.urls import path

from chat.sms import simulator, views

urlpatterns = [
    path("sms/twilio/inbound/", views.inbound, name="sms-twilio-inbound"),
    path("sms/twilio/status/", views.status, name="sms-twilio-status"),
    # The demo's phone (chat/sms/simulator.py): 404 unless SMS_SIMULATOR.
    path("sms/simulator/", simulator.page, name="sms-simulator"),
    path("sms/simulator/sign/", simulator.sign, name="sms-simulator-sign"),
    path(
        "sms/simulator/sign-status/",
        simulator.sign_status,
        name="sms-simulator-sign-status",
    ),
    path("sms/simulator/thread/", simulator.thread, name="sms-simulator-thread"),
]
