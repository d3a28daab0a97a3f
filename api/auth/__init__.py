"""Users, roles, login (OAuth2 password flow with JWT) and the throttling of failed logins."""
