"""Wagtail's content pages: the home page and standard pages, and what every page type shares.

Pages are written in Spanish first; staff translate them to English with Wagtail's
locales. `LocalizedQuerySet` lists, for a visitor, each page in her language when it is
translated and else the original (`for_locale`), and for jobs and reports the originals
only (`originals`). Stories are in `cms.models.stories`, the markets in
`cms.models.markets`.
"""

from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Locale, Page
from wagtail.query import PageQuerySet
from wagtail.search import index

from cooperatives.models import Cooperative
from market import page_cache


def default_language() -> str:
    """The content language pages are written in first (Spanish)."""
    return get_supported_content_language_variant(settings.LANGUAGE_CODE)


class LocalizedQuerySet(PageQuerySet):
    """Listings in the visitor's language, for page types that are translated."""

    def originals(self):
        """Every page's own original, never its translations.

        A page is an original when it is in the default language, or when its translation
        group has no page in the default language. Jobs, reports and workspace lists use
        this, so a translated market is closed, reported and counted once.
        """
        return self.filter(_is_original(self.model))

    def for_locale(self, locale_id):
        """One page per translation group for a visitor reading `locale_id`: its live
        translation in that language when there is one, else the original."""
        translated = self.model.objects.live().filter(
            translation_key=OuterRef("translation_key"), locale_id=locale_id
        )
        return self.filter(Q(locale_id=locale_id) | (_is_original(self.model) & ~Exists(translated)))


def _is_original(model) -> Q:
    language = default_language()
    has_original = model.objects.filter(
        translation_key=OuterRef("translation_key"), locale__language_code=language
    )
    return Q(locale__language_code=language) | ~Exists(has_original)


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "link", "ol", "ul", "h3"], label=_("Paragraph")
    )
    image = ImageChooserBlock(label=_("Image"))
    quote = blocks.BlockQuoteBlock(label=_("Quote"))


class HomePage(Page):
    intro = models.CharField(
        _("intro"),
        max_length=255,
        blank=True,
        default=_("Buy directly from the peasant cooperatives of Colombia."),
    )
    how_it_works = RichTextField(
        _("how it works"), blank=True, features=["bold", "italic", "ol", "ul", "link"]
    )
    featured_cooperatives = ParentalManyToManyField(
        Cooperative,
        blank=True,
        related_name="+",
        verbose_name=_("featured cooperatives"),
        help_text=_(
            "Shown first on the home page, in every language (chosen on the Spanish page). "
            "Only verified cooperatives are shown; the rest of the places go to the others."
        ),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("how_it_works"),
        FieldPanel("featured_cooperatives", widget=forms.CheckboxSelectMultiple),
    ]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1  # the Spanish home; its English translation is made with "Translate"

    MARKETS_SHOWN = 4
    COOPERATIVES_SHOWN = 8
    MARKETS_READ = 40  # markets not closed yet, read at most
    STORIES_SHOWN = 3

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    @property
    def localized(self):
        """The home page in the visitor's language (Wagtail's `localized`), kept in the page
        cache until the next `pages_changed()` (a publish): Wagtail's routing asks for it on
        every request it serves, and finding the active locale is a query each time."""
        language = translation.get_language() or ""
        return page_cache.remembered(
            f"home-localized:{self.pk}:{language}", lambda: Page.localized.fget(self).specific
        )

    def route(self, request, path_components):
        """The markets section in one query instead of Wagtail's two (page, then specific row),
        kept in the page cache until the next publish (`market.page_cache.remembered`).

        Buyers mostly come to markets; with the locale lookup page translation adds, this
        keeps a storefront within its query budget. Other pages route as usual.

        In a translated home (English), a page not translated yet is served from the
        original (Spanish) tree, so a language link never leads to a dead end.
        """
        from cms.models.markets import MarketIndexPage

        try:
            if path_components:
                index = page_cache.remembered(
                    f"route:{self.pk}:{path_components[0]}",
                    lambda: MarketIndexPage.objects.child_of(self).filter(slug=path_components[0]).first(),
                )
                if index is not None:
                    index._cached_parent_obj = self
                    return index.route(request, path_components[1:])
            return super().route(request, path_components)
        except Http404:
            original = self.get_translation_or_none(Locale.get_default()) if path_components else None
            if original is None or original.pk == self.pk:
                raise
            return original.specific.route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.home_page(home=self))
        request._home_clock_changes_at = context["clock_changes_at"]
        return context

    def _clock_changes_at(self, request):
        """Read with the markets the page lists; asked of the database only when they were cut."""
        from cms.models.markets import MarketEventPage

        found = getattr(request, "_home_clock_changes_at", "unknown")
        if found == "unknown":
            return MarketEventPage.objects.live().next_clock_change(timezone.now())
        return found

    def serve(self, request, *args, **kwargs):
        """From the anonymous page cache (`market.page_cache`) until a publish, a sale or a
        market's clock (one opens or closes) changes what it lists."""
        return page_cache.serve(
            request,
            lambda: super(HomePage, self).serve(request, *args, **kwargs),
            valid_until=lambda: self._clock_changes_at(request),
        )


class StandardPage(Page):
    """A content page: about us, how it works, terms."""

    intro = models.CharField(_("intro"), max_length=255, blank=True)
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("hero_image", heading=_("Main image")),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    class Meta:
        verbose_name = _("content page")
