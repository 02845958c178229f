"""The console: server-rendered pages for coordinators, investigators and admins.

Pages call the same services as the API and ask ``backend.access`` who may see
what; sessions are the API's bearer tokens, carried in a cookie.
"""
