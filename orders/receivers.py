from orders import services


def merge_cart_on_login(sender, request, user, **kwargs):
    """The basket filled before signing in follows the buyer into her account."""
    if request is not None and hasattr(request, "session"):
        services.cart_merge_on_login(session=request.session, user=user)
