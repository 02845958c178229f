"""Sign-in, bearer tokens, devices, and who may call what."""
