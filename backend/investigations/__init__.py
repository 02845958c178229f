"""Investigations: pseudonymous financial links for investigators, never a victim's identity.

``projection`` keeps the linkage index in step with sync; ``graph`` and
``exports`` are pure; the rest is the usual controllers, services,
repositories and schemas. See ``docs/linkage.md``.
"""
