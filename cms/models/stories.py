"""The stories of the cooperatives and their families (`StoryIndexPage`, `StoryPage`)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager
from wagtail.search import index

from catalog import selectors as catalog_selectors
from catalog.models import Product
from cms.models.pages import BodyBlock, LocalizedQuerySet
from cooperatives.models import Cooperative


class StoryIndexPage(Page):
    """The stories of the cooperatives and their families, newest first."""

    intro = models.CharField(_("intro"), max_length=255, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.StoryPage"]
    max_count_per_parent = 1  # one per home page, that is one per content language

    PER_PAGE = 12

    class Meta:
        verbose_name = _("story index")
        verbose_name_plural = _("story indexes")

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context(request, *args, **kwargs)
        stories = StoryPage.objects.live().public().for_locale(self.locale_id).cards()
        context["stories"] = Paginator(stories, self.PER_PAGE).get_page(request.GET.get("page"))
        return context


class StoryQuerySet(LocalizedQuerySet):
    def cards(self):
        """Stories as cards: cooperative, place and hero image's renditions in two queries."""
        from wagtail.images import get_image_model

        renditions = get_image_model().get_rendition_model().objects.all()
        return (
            self.select_related("cooperative__municipality__department", "hero_image")
            .prefetch_related(models.Prefetch("hero_image__renditions", queryset=renditions))
            .order_by("-published_on", "-pk")
        )


class StoryPage(Page):
    """A story about a cooperative and its families: how they grow, what changed for them.

    People are named or shown only with their agreement: naming producers requires the
    editor to confirm it (`people_agreed`).
    """

    published_on = models.DateField(_("date"), default=timezone.localdate)
    intro = models.CharField(_("summary"), max_length=255)
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("main image"),
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("story"))
    cooperative = models.ForeignKey(
        Cooperative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cooperative"),
        help_text=_("The cooperative this story is about; its products are shown with the story."),
    )
    producers = ParentalManyToManyField(
        "cooperatives.Producer",
        blank=True,
        related_name="+",
        verbose_name=_("producers named in the story"),
    )
    people_agreed = models.BooleanField(
        _("the people named or shown agreed"),
        default=False,
        help_text=_("Tick only when every person named or shown in this story agreed to its publication."),
    )

    objects = PageManager.from_queryset(StoryQuerySet)()

    content_panels = Page.content_panels + [
        FieldPanel("published_on"),
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("cooperative"), FieldPanel("producers"), FieldPanel("people_agreed")],
            heading=_("Who the story is about"),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.StoryIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    def clean(self):
        super().clean()
        producers = list(self.producers.all())
        errors = {}
        if producers and not self.people_agreed:
            errors["people_agreed"] = _("Naming producers needs their agreement: confirm it here.")
        strangers = [p.name for p in producers if p.cooperative_id != self.cooperative_id]
        if strangers:
            errors["producers"] = _("Not producers of the chosen cooperative: %(names)s.") % {
                "names": ", ".join(strangers)
            }
        if errors:
            raise ValidationError(errors)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["producers"] = list(self.producers.all()) if self.people_agreed else []
        if self.cooperative_id:
            context["products"] = list(
                catalog_selectors.product_cards(
                    Product.objects.available().filter(cooperative_id=self.cooperative_id)
                ).order_by("-created_at")[:4]
            )
        return context
