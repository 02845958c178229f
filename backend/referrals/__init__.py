"""Referrals driven by coordinators: to a provider, through a fixed workflow, under consent."""
