"""Classification of the models Amparo uses from Django itself."""

from amparo.lib.crypto.classification import register

register("auth.permission", public=["id", "name", "content_type", "codename"])
register("auth.group", public=["id", "name", "permissions"])
register("contenttypes.contenttype", public=["id", "app_label", "model"])
# The session holds the user id and a CSRF-free auth hash, no personal data.
register("sessions.session", internal=["session_key", "session_data", "expire_date"])
