"""Sign users on to a Django site with PingOne through OpenID Connect."""

__version__ = "0.1.0"
