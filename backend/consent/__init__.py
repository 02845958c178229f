"""Consent at every exit: is purpose P consented for case C now?"""
