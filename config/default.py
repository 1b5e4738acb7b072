"""Defaults for every environment; a WFSURVEY_* variable or the file named by WFSURVEY_CONFIG overrides them."""

# Name of the environment; "production" turns on the checks in wfsurvey.config_checks.
ENV = "development"
# Signs session cookies and CSRF tokens. Must be replaced in production.
SECRET_KEY = "dev-secret-key-change-me"
# None means: a SQLite file in the instance folder.
DATABASE_URL = None
# None means: the dev mailbox (messages kept in the database, listed at /dev/mailbox).
SMTP_URL = None
MAIL_FROM = "wfsurvey <no-reply@example.org>"
BASE_URL = "http://127.0.0.1:5000"
TIMEZONE = "America/Los_Angeles"
# The region scheme that region codes and names refer to when none is named.
REGION_SCHEME = "cc-macro"
# Storage for rate limits; must be shared between processes (redis:// or memory:// for one process).
RATELIMIT_STORAGE_URI = "memory://"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
WTF_CSRF_TIME_LIMIT = None
# How many outbox messages one delivery batch sends over one SMTP connection.
OUTBOX_BATCH_SIZE = 200
