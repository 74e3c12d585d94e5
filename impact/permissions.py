"""The one check for impact reports: who reads which programme.

Staff read every programme; a programme viewer (a funder's officer, named on the programme
in the Wagtail admin) reads only hers, and only aggregates; anyone else gets 404, so a
report never confirms that another programme exists.
"""

from django.http import Http404

from impact.models import Programme


def viewer_programme(user, slug: str) -> Programme:
    programme = Programme.objects.visible_to(user).filter(slug=slug).first()
    if programme is None:
        raise Http404
    return programme
