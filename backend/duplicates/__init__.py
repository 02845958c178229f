"""Possible duplicate persons: keyed encodings per case, proposals, a coordinator's merge or dismissal."""
