"""Inbound email through a provider's webhook (SPEC T3), via django-anymail.

Anymail checks the provider's signature and parses the POST; our receiver
keeps the raw message (`InboundEmail`) and leaves processing to a worker, so
the provider gets its 200 at once and nothing is lost if processing fails.
"""

from __future__ import annotations

from anymail.signals import inbound
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

from chat.models import InboundEmail


@csrf_exempt
def mailgun_inbound(request):
    """Mailgun's inbound route (POST, signed with the webhook signing key).
    Not served at all until a signing key is configured."""
    if not settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
        return HttpResponseNotFound(
            "The Mailgun inbound webhook is not configured "
            "(set MAILGUN_WEBHOOK_SIGNING_KEY)."
        )
    return MailgunInboundWebhookView.as_view()(request)


@receiver(inbound, dispatch_uid="chat-inbound-email")
def store_inbound_email(sender, event, esp_name, **kwargs):
    from chat import tasks

    raw = event.message.as_bytes()
    with transaction.atomic():
        stored = InboundEmail.objects.create(
            via=InboundEmail.Via.WEBHOOK, raw=raw, size=len(raw)
        )
        transaction.on_commit(lambda: tasks.inbound_email_process.delay(stored.pk))
