from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from chat import consumers

websocket_urlpatterns = [
    # The patron's socket checks its Origin against the library's sites itself.
    path("ws/chat/<str:token>/", consumers.PatronConsumer.as_asgi()),
    path("ws/desk/", AllowedHostsOriginValidator(consumers.DeskConsumer.as_asgi())),
]
