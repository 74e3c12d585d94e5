"""The markets' domain error."""


class MarketError(Exception):
    """A market change refused for a reason the person can fix."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message
