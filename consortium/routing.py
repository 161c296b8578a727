from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from chat.routing import websocket_urlpatterns as chat_patterns
from consortium import consumers

websocket_urlpatterns = [
    path(
        "ws/desk/presence/",
        AllowedHostsOriginValidator(consumers.PresenceConsumer.as_asgi()),
    ),
    *chat_patterns,
]
