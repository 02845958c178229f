"""Case transfer between operations: proposed by the source, effective when the target accepts."""
