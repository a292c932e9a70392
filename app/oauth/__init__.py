"""The gateway's OAuth 2.1 authorization server, one module per protocol concern (docs/oauth.md)."""
