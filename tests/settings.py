"""Test settings: the project's settings with only what tests need changed.

Without REDIS_URL the tests get their own embedded Redis, so they never touch
the one `make run` uses; it is stopped when the test process ends.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from consortium import embedded_redis

if not os.environ.get("REDIS_URL"):
    _redis_dir = Path(tempfile.mkdtemp(prefix="asktogether-test-redis-"))
    os.environ["REDIS_URL"] = embedded_redis.start(_redis_dir)
    atexit.register(shutil.rmtree, _redis_dir, ignore_errors=True)
    atexit.register(embedded_redis.stop_pid, _redis_dir)

from consortium.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"test-{os.getpid()}"  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
SITE_URL = "http://testserver"
# Threads (websocket consumers, the test worker) must not keep connections to
# the test database open, or it cannot be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# No connection pool in tests: the test database must be droppable at the end.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
