"""The job settings (MINGA_JOBS_*, read from the environment in market/settings.py), in one object."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class JobsConf:
    lease: float
    heartbeat: float
    max_attempts: int
    backoff: float
    backoff_max: float
    stuck_minutes: float

    @property
    def lease_delta(self) -> timedelta:
        return timedelta(seconds=self.lease)

    @property
    def reap_every(self) -> float:
        """Seconds between two reaper runs of one worker: a few per lease, never more than needed."""
        return max(self.heartbeat, self.lease / 3)

    def backoff_after(self, attempts: int) -> timedelta:
        """Delay before the next run of a task that has had `attempts` runs (1 → BACKOFF)."""
        return timedelta(seconds=min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_max))

    def check(self) -> None:
        if self.lease <= 0 or self.heartbeat <= 0 or self.max_attempts < 1:
            raise ImproperlyConfigured("MINGA_JOBS_LEASE/HEARTBEAT must be > 0 and MAX_ATTEMPTS >= 1.")
        if self.heartbeat * 2 > self.lease:
            raise ImproperlyConfigured(
                "MINGA_JOBS_HEARTBEAT_SECONDS must be at most half of MINGA_JOBS_LEASE_SECONDS, "
                "or live workers would lose their tasks."
            )


def jobs_conf() -> JobsConf:
    return JobsConf(
        lease=float(settings.MINGA_JOBS_LEASE_SECONDS),
        heartbeat=float(settings.MINGA_JOBS_HEARTBEAT_SECONDS),
        max_attempts=int(settings.MINGA_JOBS_MAX_ATTEMPTS),
        backoff=float(settings.MINGA_JOBS_BACKOFF_SECONDS),
        backoff_max=float(settings.MINGA_JOBS_BACKOFF_MAX_SECONDS),
        stuck_minutes=float(settings.MINGA_JOBS_STUCK_MINUTES),
    )
