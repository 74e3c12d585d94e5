"""URLs of a bench run: the project's, plus the floor (only under `bench.settings`)."""

from django.urls import path

from bench.floor import floor
from market.urls import urlpatterns as market_urlpatterns

urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *market_urlpatterns]
