"""The one per-process cache: values that depend only on their key, kept for the last few keys.

Runs of one configuration share what depends on the configuration alone (the timeline, the
scenario tables, the journey constants, the dense network matrices), and every process reads
the embedded data once. All of it goes through :class:`ProcessCache`, which is safe to share
between threads (the dashboard runs models in several) and bounded, so a long-lived server
does not grow without end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any


class ProcessCache:
    """Values built once per key and kept for the last ``size`` keys (oldest dropped first).

    Values are built outside the lock, so threads never wait for each other's builds; two
    threads asking for a new key at once may both build it, and both get the value stored
    first. Cached values are shared: treat them as read-only.
    """

    def __init__(self, size: int):
        self.size = size
        self._values: dict = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value kept for ``key``, built by ``build()`` the first time it is asked for."""
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = build()
        with self._lock:
            if key not in self._values:
                if len(self._values) >= self.size:
                    del self._values[next(iter(self._values))]
                self._values[key] = value
            return self._values[key]

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


_KEYS = ProcessCache(64)


def config_key(config: Any) -> str:
    """A configuration as JSON: the key of per-configuration caches (memoised per object).

    Configurations are frozen, so an object's JSON never changes; the memo holds the object,
    so its id cannot be reused while it is there.
    """
    return _KEYS.get(id(config), lambda: (config, config.model_dump_json()))[1]
