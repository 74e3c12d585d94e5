class PhotoLimitError(Exception):
    """A product already has as many photos as it may have."""
