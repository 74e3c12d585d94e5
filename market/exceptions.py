"""Domain errors of the platform's own models. Views turn them into form errors or a 404."""


class OrganizationError(Exception):
    """A buyer organisation change that breaks a rule (who may change it, what it holds)."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class DuplicateNitError(OrganizationError):
    """An organisation with this NIT is already registered; nothing was saved."""


class AddressLimitError(OrganizationError):
    """The organisation already keeps as many delivery addresses as allowed; nothing was saved."""
