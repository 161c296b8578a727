"""Under ASGI every request is an async context of its own, and Django makes
a cache object per context: they must share one Redis connection pool per
process, not open a new connection for every chat start (issue 15)."""

import asyncio
import contextvars

from asgiref.sync import sync_to_async
from django.core.cache import caches


def _touch_cache_in_this_context():
    cache = caches["default"]
    cache.add("pool-test", 0, 30)
    cache.incr("pool-test")
    return id(cache), cache._cache._get_connection_pool(True)


async def test_requests_in_their_own_contexts_share_one_connection_pool():
    loop = asyncio.get_running_loop()
    seen = await asyncio.gather(
        *(  # as an ASGI server starts each request: in a context of its own
            loop.create_task(
                sync_to_async(_touch_cache_in_this_context)(),
                context=contextvars.Context(),
            )
            for _ in range(5)
        )
    )
    caches_seen = {cache_id for cache_id, _pool in seen}
    pools = {id(pool) for _cache_id, pool in seen}
    assert len(caches_seen) > 1  # Django did make a cache object per context
    assert len(pools) == 1
    pool = seen[0][1]
    # Connections are reused: no more than the requests that ran at once.
    assert len(pool._available_connections) + len(pool._in_use_connections) <= 5
    assert caches["default"].get("pool-test") == 5
