"""The virtual peasant markets: everything a market does, one subject a file.

The models (the market page and its clock, offers, pickup points and slots, stock and
slot counters, order links, closing claims) are in `cms.models.markets`; the page
templates in `cms/templates/cms/`. Here:

Selling
- `channel`: the market as a sales channel of `orders` (`MarketChannel`): the clock
  checked at every cart change, at checkout and at a card payment's confirmation; the
  market's prices, per-buyer limits, stock reserved and given back, the pickup slot
  taken (under its capacity) and given back.
- `storefront`: what a buyer sees on a market's page: offers by category with what is
  left, her basket, and a closed market's public figures.
- `slots`: a market's pickup slots with the places left, and how a slot reads.
- `storefront_views`: the buyer's cart changes, checkout and calendar file (.ics).
- `checkout_form`: the market's checkout form (a pickup slot or the market's delivery).
- `handover`: how a market order is handed over (its slot's place and time, or delivery on
  market day), for every order page and e-mail (`orders.handover`).

The Market Builder (in the Wagtail admin)
- `permissions`: which markets a user may run (hers, or all for staff).
- `builder_views`: her markets, a new market in one form, every product as offers and
  the slot generator on a market, a market's report (screen, print, CSV), handing an
  order over, an order taken by phone (assisted), copying a market.
- `builder_forms`: the new market's (one form), the offers' and slot generator's, the
  assisted order's and the copy's forms.
- `building`: what the quick tools would add, checked: every available product of the
  participating, verified cooperatives as offers (less a discount), and pickup slots from
  a time to a time every N minutes without overlapping those already there.
- `product_chooser`: the offers' product chooser in the page editor (that market's
  participating, verified cooperatives' products, with search).
- `report`: the report's reads (what each cooperative brings, lists per buyer, slot and
  delivery, CSV rows) and what a market really sold (`counted_market_lines`).
- `page_form`: the Wagtail editor's form for a market page (offers only from
  participating, verified cooperatives; a translation keeps its original's clock).

The cooperatives
- `cooperative`: one market seen by one cooperative: its markets, its offers and
  counters, what it brings, its packing list.
- `cooperative_views`: the cooperative workspace's market pages (confirming quantities
  before the opening, the packing list after the close).

Writes and jobs
- `services`: every write with a rule: stock counters following the published offers,
  a cooperative's confirmation, the closing claim, copying a market, handing an order
  over, an assisted order. Errors are `exceptions.MarketError`.
- `closing`: the markets' clock job (`manage.py close_markets`, every minute): cooperatives
  asked to confirm their quantities, "Avísenme" watchers told a market opened, each
  cooperative's list and each buyer's pickup reminder at the close; each claimed once.
- `notifications`: what those messages say and to whom, through the outbox.
- `watch_form`, `watch_views`: the "Avísenme cuando abra" form of an upcoming market.
- `receivers`: publishing or translating a market page keeps its counters in step.
"""
