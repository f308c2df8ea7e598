from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in by email: ModelBackend looks the user up via the email's blind index
    (UserManager.get_by_natural_key) and keeps its timing-safe password check."""
