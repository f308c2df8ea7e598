"""Two factors for every account that can see people's data: passkeys (WebAuthn),
authenticator-app codes (TOTP, a used code is refused) and one-time recovery codes."""
