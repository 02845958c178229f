"""Coordinators' views of cases: triage lists and the decrypted case, every read audited."""
