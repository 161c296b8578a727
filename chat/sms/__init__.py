"""SMS through Twilio (issue 18): the webhooks (`views`), and the backends
that send texts (`backends`, chosen by the `SMS_BACKEND` setting)."""
