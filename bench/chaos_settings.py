"""Settings for `make chaos` only: `market.settings` exactly as in production (DEBUG off,
TASKS_WORKER, Redis sessions and cache, Secure cookies, persistent connections with health
checks...), except where static files are collected and where the file-based e-mail backend
writes, both in the run's own folder.

Refused unless MINGA_CHAOS=true and the database's name contains "chaos", so neither a
production server nor the developer's database can ever run under them.

Cookies stay Secure: the chaos driver keeps its own cookie jar and sends them back over
loopback http, as a TLS-terminating proxy would see them.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("MINGA_CHAOS", "").lower() != "true":
    raise ImproperlyConfigured("bench.chaos_settings is only for `make chaos` (it needs MINGA_CHAOS=true).")

from market.settings import *  # noqa: F403
from market.settings import DATABASES

_static_root = os.environ.get("MINGA_CHAOS_STATIC_ROOT", "")
if not _static_root:
    raise ImproperlyConfigured("bench.chaos_settings needs MINGA_CHAOS_STATIC_ROOT.")
STATIC_ROOT = Path(_static_root)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")

if "chaos" not in str(DATABASES["default"]["NAME"]):
    raise ImproperlyConfigured(
        f"bench.chaos_settings refuses database {DATABASES['default']['NAME']!r}: not a chaos database."
    )
