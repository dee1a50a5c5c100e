"""The one exception type the CLI turns into a single clear line."""


class PolicyWatchError(Exception):
    """An error the user can act on; its message says what to do."""
