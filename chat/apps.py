from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Conversations on every channel: live chat, SMS and email tickets (issue 4, 5)."""

    name = "chat"
