"""Keys, key derivation, password hashing and keyed pseudonyms: all key material lives here."""
