"""`manage.py load_demo` never runs where demo data is not allowed: on a database without the
demo (test_demo_data.py shares one loaded demo across its module)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cooperatives.models import Cooperative
from market.models import User


@pytest.mark.django_db
def test_refuses_unless_demo_data_is_allowed(settings):
    settings.MINGA_ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="MINGA_ALLOW_DEMO_DATA"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.filter(email__endswith="@minga.co").exists()
    assert not Cooperative.objects.exists()
