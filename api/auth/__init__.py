"""Users, roles, login (OAuth2 password flow with JWT) and the per-client back-off of failed logins."""
