from django.urls import path

from chat.routing import staff_socket
from chat.routing import websocket_urlpatterns as chat_patterns
from consortium import consumers

websocket_urlpatterns = [
    path("ws/desk/presence/", staff_socket(consumers.PresenceConsumer)),
    *chat_patterns,
]
