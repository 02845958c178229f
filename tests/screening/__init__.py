"""Tests of the pure screening package."""
