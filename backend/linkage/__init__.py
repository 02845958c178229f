"""Financial linkage: the wallets and payments victims disclose, made comparable.

``addresses`` is pure (no web or database imports; an import-linter contract
says so); the HTTP side of it is ``controllers.py`` and ``schemas.py`` here.
"""
