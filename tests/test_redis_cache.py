"""ctht_api.redis_cache: Django's Redis cache, one `redis.Redis` per server, shared."""

import threading

import pytest
from django.core.cache import caches

from ctht_api.redis_cache import RedisCache
from tests.api.test_public_cache import require_redis


@pytest.fixture
def cache(settings):
    require_redis()
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "ctht_api.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "ctht-test-redis-cache",
        },
    }
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    cache.clear()
    yield cache
    cache.clear()


def test_the_client_is_made_once_per_server_and_reused(cache):
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is client
    assert cache._cache.get_client("c", write=True) is client  # one server: reads and writes
    cache.set("greeting", {"text": "Tanić, Симић"})
    assert cache.get("greeting") == {"text": "Tanić, Симић"}
    assert cache._cache.get_client("d") is client


def test_the_shared_client_serves_every_thread(cache):
    """Threads (gthread workers) share the client: each command takes its own connection."""
    errors = []

    def work(index: int) -> None:
        try:
            for step in range(50):
                cache.set(f"k{index}", step)
                assert cache.get(f"k{index}") == step
                cache.incr(f"k{index}")
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.get_many([f"k{index}" for index in range(8)]) == {
        f"k{index}": 50 for index in range(8)
    }
