"""Production settings: copy, fill in, and name the file in WFSURVEY_CONFIG.

The environment variables WFSURVEY_DATABASE_URL, WFSURVEY_SECRET_KEY, WFSURVEY_SMTP_URL,
WFSURVEY_MAIL_FROM, WFSURVEY_MAIL_REPLY_TO, WFSURVEY_BASE_URL, WFSURVEY_TIMEZONE,
WFSURVEY_RATELIMIT_STORAGE_URI and WFSURVEY_TRUSTED_PROXIES still override this file.
"""

ENV = "production"
# python -c "import secrets; print(secrets.token_hex(32))"
SECRET_KEY = None
DATABASE_URL = "postgresql+psycopg://wfsurvey@db.internal/wfsurvey"
SMTP_URL = "smtp+starttls://user:password@smtp.internal:587"
MAIL_FROM = "State Workforce Association <surveys@example.org>"
# A mailbox someone reads: emails then carry Reply-To and invite replies. Leave None if nobody reads replies.
MAIL_REPLY_TO = "State Workforce Association <programs@example.org>"
BASE_URL = "https://surveys.example.org"
TIMEZONE = "America/Los_Angeles"
RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
SESSION_COOKIE_SECURE = True
# Behind one reverse proxy (nginx, a load balancer) that sets X-Forwarded-For/-Proto/-Host: 1.
# Without it every client shares the proxy's address for sign-in rate limits.
TRUSTED_PROXIES = 1
