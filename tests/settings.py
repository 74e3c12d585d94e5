"""Test settings: the production module with fast, isolated services."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_DEBUG", "false")

from market.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="minga-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
# No page cache by default (tests roll the database back, not a cache); the page cache's own
# tests switch it on (tests/market/test_page_cache.py).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "jobs": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]},
}
SITE_URL = "http://testserver"
MINGA_ALLOW_DEMO_DATA = True
STATIC_ROOT = tempfile.mkdtemp(prefix="minga-test-static-")

# Every WhatsApp template "approved", with a content id per name (and per name:en): tests
# send templates to the local Twilio stub, which checks the id's form (HX + 32 hex).
import hashlib as _hashlib  # noqa: E402

from market.messages.whatsapp_templates import TEMPLATES as _TEMPLATES  # noqa: E402

TWILIO_CONTENT_SIDS = {
    key: "HX" + _hashlib.md5(key.encode()).hexdigest()
    for t in _TEMPLATES.values()
    for key in ({t.name, t.sid_key("en")})
}
