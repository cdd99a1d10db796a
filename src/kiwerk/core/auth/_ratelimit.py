"""Per-key rate limits: a token bucket per key, in bounded memory."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from kiwerk.errors import RateLimited


class RateLimiter:
    """Token buckets keyed by API key id, refilled continuously.

    A key may send ``rate_per_minute`` requests per minute on average and a
    burst of as many at once. Only the ``max_keys`` most recently used keys are
    tracked; a key evicted and seen again starts with a full bucket. Limits
    hold per process: with N workers a key gets up to N times its rate.

    Examples
    --------
    >>> limiter = RateLimiter()
    >>> limiter.hit("k", 2, now=0.0); limiter.hit("k", 2, now=0.0)
    >>> try:
    ...     limiter.hit("k", 2, now=0.0)
    ... except RateLimited as exc:
    ...     round(exc.retry_after)
    30
    """

    def __init__(self, *, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str, rate_per_minute: int, *, now: float | None = None) -> None:
        """Take one token from ``key``'s bucket.

        Raises
        ------
        RateLimited
            When the bucket is empty; ``retry_after`` says how long to wait.
        """
        stamp = time.monotonic() if now is None else now
        per_s = rate_per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(rate_per_minute), stamp))
            tokens = min(float(rate_per_minute), tokens + (stamp - last) * per_s)
            if tokens < 1.0:
                self._buckets[key] = (tokens, stamp)
                raise RateLimited(
                    f"rate limit of {rate_per_minute} requests per minute exceeded",
                    retry_after=(1.0 - tokens) / per_s,
                )
            self._buckets[key] = (tokens - 1.0, stamp)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)


__all__ = ["RateLimiter"]
