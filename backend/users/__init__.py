"""User accounts and the password policy."""
