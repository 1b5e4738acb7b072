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
# Where replies to survey email go (a Reply-To header, and emails then invite replies). None: MAIL_FROM is
# usually a no-reply address, so no email asks to be replied to.
MAIL_REPLY_TO = None
BASE_URL = "http://127.0.0.1:5000"
TIMEZONE = "America/Los_Angeles"
# The region scheme that region codes and names refer to when none is named.
# Storage for rate limits; must be shared between processes, so the default is the local Redis
# (memory:// counts per process: fine for one process only).
RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
# When Redis cannot be reached (say, not started on a development machine) limits are counted in
# each process's memory until it comes back, rather than failing every rate-limited request:
# sign-in stays available and is still limited, only less strictly across processes.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
# Keeps this deployment's counters apart from anything else stored in the same Redis database, other
# deployments of wfsurvey included. None means "wfsurvey:" and a short hash of the database URL.
RATELIMIT_KEY_PREFIX = None
# PostgreSQL, for web requests: seconds to connect, and seconds a statement may run before the server cancels
# it (the client gives up 2 seconds later if no answer comes at all). An unreachable or slow database then
# answers 503 "try again shortly" well within gunicorn's 30 s. Commands and the scheduler keep the connect
# limit only. SQLite waits for its lock with its own busy timeout (15 s).
DATABASE_CONNECT_TIMEOUT = 5
DATABASE_STATEMENT_TIMEOUT = 15
# How many reverse proxies (nginx, a load balancer) stand in front of the app and set X-Forwarded-For,
# -Proto and -Host. 0 means the app faces clients directly. Behind one proxy set 1: rate limits and logs
# then count the client's address rather than the proxy's, and links use the scheme the client used.
# Never set it higher than the real number of proxies: clients could then choose their own address.
TRUSTED_PROXIES = 0
# Sign-in attempts: every POST per client address; failed ones per account from browsers that never signed in
# to it; and failed ones per device for a browser that did (it holds a signed device cookie for the account,
# kept DEVICE_COOKIE_DAYS). Others' failures then never lock the owner out of a device they used before.
LOGIN_RATE_LIMIT_PER_IP = "10 per minute"
LOGIN_RATE_LIMIT_PER_ACCOUNT = "20 per hour"
LOGIN_RATE_LIMIT_PER_DEVICE = "10 per hour"
DEVICE_COOKIE_DAYS = 365
# How staff passwords are hashed (werkzeug's name for the KDF and its parameters): scrypt at N=2^17, r=8,
# p=1, as OWASP ASVS asks. Each sign-in then takes 128 MiB and a few tenths of a second. A hash made
# with other parameters is redone at the user's next successful sign-in.
PASSWORD_HASH_METHOD = "scrypt:131072:8:1"
# Respondent links (/r/...): links that open nothing, counted per client address; and each link that works,
# counted on its own (a whole office behind one address, or a mail scanner, never locks respondents out).
RESPOND_NOT_FOUND_RATE_LIMIT = "20 per minute"
RESPOND_LINK_RATE_LIMIT = "120 per minute"
# A staff session ends after this long without a request, and this long after sign-in whatever happens.
SESSION_IDLE_MINUTES = 30
SESSION_MAX_HOURS = 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
WTF_CSRF_TIME_LIMIT = None
# The largest request the app reads, in bytes: a contacts CSV or a template, on a page or through the API, and
# any other form or JSON body. A larger one is answered 413 before it is read (under /api as JSON,
# {"error": {"code": "too_large", ...}}). 10 MB holds a contacts file of about 100,000 rows, which imports
# well within a web worker's 30 seconds.
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
# Text pasted into a page's form (the import page's box) may be as large.
MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH
# How many outbox messages one delivery batch sends over one SMTP connection.
OUTBOX_BATCH_SIZE = 200
# The scheduler process (`wfsurvey scheduler`): seconds between two runs of every job; how often
# the active one renews its claim and a standby one tries to take over; on SQLite, how long a
# lease lasts if its holder stops renewing it (a standby takes over within this time).
SCHEDULER_INTERVAL_SECONDS = 60
SCHEDULER_HEARTBEAT_SECONDS = 5
SCHEDULER_LEASE_SECONDS = 60
# Records of job runs (the jobs page, `wfsurvey jobs status`) are deleted after this many days.
JOB_RUNS_KEEP_DAYS = 30
# The pilot-area ranking ranks only regions with at least this many responses; the others are listed apart,
# as "not enough answers to rank" (one answer out of 26 invited says little about a region).
MIN_RESPONSES_FOR_RANKING = 3
# Objects made at start-up are frozen out of the garbage collector's sight once the app is made (each gunicorn
# worker, the scheduler), which spares every full collection walking them. Off under tests (TESTING), whose one
# process makes an app per test.
GC_FREEZE = True
