"""ASGI entry point: HTTP through Django, websockets through Channels.

Staff websockets are authenticated by the session and accepted only from this
site's own hosts (ALLOWED_HOSTS); the patron's chat socket checks its Origin
against the library's sites (chat.consumers).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from consortium.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
