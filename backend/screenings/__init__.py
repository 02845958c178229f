"""Screenings: assessing answers with the screening package (preview now, stored via sync next)."""
