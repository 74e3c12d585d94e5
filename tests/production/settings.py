"""Settings for tests/production/test_two_app_servers.py only: `market.settings` unchanged,
except that collectstatic writes into the test's temporary folder instead of the project's
`staticfiles/`, and EMAIL_FILE_PATH (for the filebased e-mail backend, so the test can count
what was sent) comes from the environment. Refused without MINGA_TWO_SERVERS_STATIC_ROOT,
so nothing else uses it.

Cookies stay Secure, as in production: the test's HTTP client sends them back over
loopback http anyway (a manual cookie jar), the way a TLS-terminating proxy would see them.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from market.settings import *  # noqa: F403

_static_root = os.environ.get("MINGA_TWO_SERVERS_STATIC_ROOT", "")
if not _static_root:
    raise ImproperlyConfigured("tests.production.settings needs MINGA_TWO_SERVERS_STATIC_ROOT.")
STATIC_ROOT = Path(_static_root)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")
