"""The append-only, HMAC-chained audit log."""
