"""Offline sync: case records pushed from phones, pulled back in commit order."""
