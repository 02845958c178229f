"""Erasure (crypto-shredding a case), closure and retention."""
