"""Who may see and do what: roles, the principal, route guards and object policy.

Every other package asks this one, and nothing else, who may see what.
"""
