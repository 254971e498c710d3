"""A custom user model (AUTH_USER_MODEL = "accounts.User")."""
