"""Account security: password rules and reset, sign-in lockout, two-factor sign-in and the person's sessions.

See README.md in this folder. Each module holds the services (writes, events emitted after commit) and reads of
its concern; the pages live in `accounts/views/security.py`, the request-level parts in `accounts/middleware.py`.
"""
