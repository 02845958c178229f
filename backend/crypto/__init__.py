"""Key management, key derivation and (next) envelope encryption and pseudonyms."""
