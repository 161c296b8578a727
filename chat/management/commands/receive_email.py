"""Deliver one email, as raw MIME on standard input, to the ticket system.

For a local mail server (Postfix `pipe`, Exim, procmail …) delivering the
ticket addresses to this command, and for trying tickets out by hand:

    .venv/bin/python manage.py receive_email < question.eml
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from chat.mail.inbound import MAX_MESSAGE_BYTES
from chat.models import InboundEmail
from chat.services import inbound_email_receive


class Command(BaseCommand):
    help = "Read one raw email from standard input and process it as a ticket email."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
        if not raw.strip():
            raise CommandError("No email on standard input.")
        inbound = inbound_email_receive(raw=raw, via=InboundEmail.Via.PIPE)
        line = f"{inbound.get_status_display()}"
        if inbound.ticket_id:
            line += f": ticket #{inbound.ticket.conversation_id} of {inbound.ticket.library.name}"
        if inbound.reason:
            line += f" — {inbound.reason}"
        self.stdout.write(line)
