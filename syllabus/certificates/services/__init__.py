"""Writes of certificates, one module per area: issuing and revoking (issuing), templates, awards, signing keys."""
