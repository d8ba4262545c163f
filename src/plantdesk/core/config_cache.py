"""Per-process caches of small configuration tables read on every write (priority matrix, options,
groups, sites).

Every create used to spend a query on each of them. A change made in this process clears the cache at
once (model signals); other processes see it within CONFIG_CACHE_SECONDS. Callers fall back to the
database on a miss, so a row created a moment ago elsewhere is never refused as unknown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.conf import settings

T = TypeVar("T")

_registry: list[ConfigCache[Any]] = []


class ConfigCache(Generic[T]):
    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        _registry.append(self)

    def get(self) -> T:
        now = time.monotonic()
        value = self._value
        if value is None or now - self._loaded_at > settings.CONFIG_CACHE_SECONDS:
            with self._lock:
                value = self._load()
                self._value, self._loaded_at = value, now
        return value

    def clear(self) -> None:
        self._value = None


K = TypeVar("K")
V = TypeVar("V")


def lookup(cache: ConfigCache[dict[K, V]], key: K) -> V:
    """A row of a cached {key: row} table; a miss (a row another process just created) reloads once."""
    found = cache.get().get(key)
    if found is None:
        cache.clear()
        found = cache.get()[key]
    return found


def config_cache(load: Callable[[], T]) -> ConfigCache[T]:
    return ConfigCache(load)


def clear_all() -> None:
    for cache in _registry:
        cache.clear()


def clear_on_change(*models: type) -> None:
    """Clear every config cache when one of `models` is saved or deleted in this process."""
    from django.db.models.signals import post_delete, post_save

    def receiver(**kwargs: Any) -> None:
        clear_all()

    for model in models:
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"config_cache:{model.__name__}:save")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"config_cache:{model.__name__}:del")
