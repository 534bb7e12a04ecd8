"""A sliding-window limit of failed attempts per client address (signing in, bearer tokens).

In memory, per service process: enough to make guessing tokens by the million impossible (a token
has 256 random bits anyway) and to stop a script hammering the sign-in form.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class FailureLimiter:
    """At most ``max_failures`` failures per ``window_s`` seconds per key."""

    def __init__(self, max_failures: int = 10, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        found = self._failures[key]
        while found and found[0] <= now - self.window_s:
            found.popleft()
        return found

    def retry_after_s(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            found = self._trim(key, now)
            if len(found) < self.max_failures:
                if not found:
                    self._failures.pop(key, None)
                return 0
            return max(1, int(found[0] + self.window_s - now) + 1)

    def failed(self, key: str) -> None:
        with self._lock:
            self._trim(key, time.monotonic()).append(time.monotonic())
