from django.urls import path

from consortium import consumers

websocket_urlpatterns = [
    path("ws/desk/presence/", consumers.PresenceConsumer.as_asgi()),
]
