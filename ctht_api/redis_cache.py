"""Django's Redis cache, with one client object per server instead of one per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` around the
server's connection pool for every cache operation. With redis-py 8 that object
costs about 50 µs to build (its response-callback table): about a tenth of a
warm public answer, which reads the cache once and counts its rate limit once
(docs/benchmarks.md). A `redis.Redis` is safe to share between threads (each
command takes a connection from the pool and gives it back), and the pools are
kept for the life of the cache object already, so the client made for a pool is
kept with it. Pools check the process id before use, so a worker forked after
the first use still opens its own connections.

Every Redis cache of the project uses it (settings.CACHES; the rate counter,
ctht_api.throttling, subclasses it).
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's client, keeping the `redis.Redis` made for each connection pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # By the pool's id: pools live as long as this object (`_pools`), so ids are stable.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with `RedisCacheClient` above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
