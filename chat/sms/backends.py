"""Where texts go out: `SMS_BACKEND` = "console" prints them, "twilio" sends
them through Twilio's REST API."""

from __future__ import annotations

import sys
import uuid

from django.conf import settings


class SmsError(Exception):
    """The provider refused or could not take the text; the message is failed."""


def masked(number: str) -> str:
    """A patron's number as logs and the console may show it: its last two
    digits only (+1••••••••23)."""
    return number[:2] + "•" * max(0, len(number) - 4) + number[-2:]


class ConsoleBackend:
    """Prints each text (development, `make run`); its id is made up. The
    patron's number is personal data: printed masked."""

    def send(self, *, to: str, from_: str, body: str, status_callback: str) -> str:
        sys.stdout.write(
            f"--- SMS from {from_} to {masked(to)} ---\n{body}\n--- end of SMS ---\n"
        )
        sys.stdout.flush()
        return f"SMconsole{uuid.uuid4().hex}"


class TwilioBackend:
    """Twilio's Messages API with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN;
    Twilio reports delivery to `status_callback`."""

    def send(self, *, to: str, from_: str, body: str, status_callback: str) -> str:
        from twilio.base.exceptions import TwilioException
        from twilio.rest import Client

        client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        try:
            message = client.messages.create(
                to=to, from_=from_, body=body, status_callback=status_callback
            )
        except (TwilioException, OSError) as error:
            # Twilio's messages may quote the "To" number: stored masked.
            raise SmsError(str(error).replace(to, masked(to))) from error
        return message.sid


BACKENDS = {"console": ConsoleBackend, "twilio": TwilioBackend}


def get_backend():
    return BACKENDS[settings.SMS_BACKEND]()
