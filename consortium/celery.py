"""The Celery application. Beat uses django-celery-beat's database scheduler."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings")

app = Celery("asktogether")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
