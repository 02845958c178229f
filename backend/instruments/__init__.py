"""Screening instruments, served localised for phones to run offline."""
