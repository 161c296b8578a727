"""The Redis cache with one connection pool per process.

Django keeps a cache object per async context, and under ASGI every request
is a context of its own: the stock backend made a connection pool, and so a
new TCP connection to Redis (with its handshake), for every request that
touched the cache (each chat start's rate limit). Here the pools outlive the
cache objects: one per server URL, per process.
"""

from __future__ import annotations

import os
import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple, object] = {}
_lock = threading.Lock()


class SharedPoolClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        url = self._servers[self._get_connection_pool_index(write)]
        key = (os.getpid(), url, self._pool_class)  # a forked child makes its own
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(
                        url, **self._pool_options
                    )
        return pool


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolClient
