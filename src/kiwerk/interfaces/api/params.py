"""Limits and costs of the API service (not secrets; those live in settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiwerk.core.auth import PasswordParams
from kiwerk.core.monitor.live import LiveMonitorParams, PerformanceParams


@dataclass(frozen=True)
class ApiParams:
    """Tunable limits of the service.

    Parameters
    ----------
    token_ttl_s
        Lifetime of an access token; for a browser session, its idle limit
        (each request renews the session's token, at most once per
        ``session_renew_s``).
    session_renew_s
        Least age of a session token before a request renews it.
    session_max_s
        A browser session ends this long after its login, used or not.
    max_body_bytes
        Largest JSON or form body.
    max_upload_bytes
        Largest dataset upload.
    default_rate_per_minute
        Rate limit of a new API key unless its creator sets one.
    max_rows_per_page
        Most rows one read of a dataset returns.
    passwords
        Argon2id cost of password hashes.
    monitor
        Window sizes and alert thresholds of live model monitoring.
    performance
        Window sizes and alert thresholds of ground-truth performance.
    alert_repeat_s
        A still-active alert is delivered again after this many seconds.
    line_connect_s
        How long start-up waits for the live line's broker (it keeps trying).
    """

    token_ttl_s: float = 900.0
    session_renew_s: float = 60.0
    session_max_s: float = 12 * 3600.0
    max_body_bytes: int = 16 * 1024 * 1024
    max_upload_bytes: int = 512 * 1024 * 1024
    default_rate_per_minute: int = 600
    max_rows_per_page: int = 1000
    passwords: PasswordParams = field(default_factory=PasswordParams)
    monitor: LiveMonitorParams = field(default_factory=LiveMonitorParams)
    performance: PerformanceParams = field(default_factory=PerformanceParams)
    alert_repeat_s: float = 3600.0
    line_connect_s: float = 5.0

    def __post_init__(self) -> None:
        if self.token_ttl_s <= 0:
            raise ValueError("token_ttl_s must be positive")
        if not 0 <= self.session_renew_s < self.token_ttl_s <= self.session_max_s:
            raise ValueError(
                "Expected 0 <= session_renew_s < token_ttl_s <= session_max_s."
            )
        if min(self.max_body_bytes, self.max_upload_bytes) < 1024:
            raise ValueError("body limits must be at least 1024 bytes")
        if self.default_rate_per_minute < 1 or self.max_rows_per_page < 1:
            raise ValueError("rates and page sizes must be at least 1")


__all__ = ["ApiParams"]
