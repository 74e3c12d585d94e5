class InvitationError(Exception):
    """An invitation that is expired, revoked, already used, or for someone else."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
