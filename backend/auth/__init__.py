"""Sign-in, bearer tokens and devices."""
