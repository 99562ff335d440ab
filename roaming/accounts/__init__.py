"""Staff accounts: throttled logins, a second factor, bounded sessions, and their audit.

Built on django-axes (lockouts), django-otp and django-two-factor-auth (TOTP, backup codes,
the login wizard); this package only adds our policy and the audit trail (roaming.audit):

- `policy`: who needs a second factor, how long a staff session lasts;
- `middleware`: applies both to every staff page (admin, /finance/, anything behind a login);
- `views`, `urls`: the library's login, enrolment and backup-code pages, audited;
- `services`: the writes (audit entries, unlock, reset a lost device);
- `admin`: locked-out logins and their unlock; `metrics`: failed logins and lockouts.
"""
