from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from chat import consumers


def staff_socket(consumer):
    """Same-site origins only (checked first), then the session's user."""
    return AllowedHostsOriginValidator(AuthMiddlewareStack(consumer.as_asgi()))


websocket_urlpatterns = [
    # Anonymous; it checks its Origin against the library's sites itself.
    path("ws/chat/<str:token>/", consumers.PatronConsumer.as_asgi()),
    path("ws/desk/", staff_socket(consumers.DeskConsumer)),
]
