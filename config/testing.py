"""Settings the test suite applies on top of the defaults."""

ENV = "testing"
TESTING = True
GC_FREEZE = False
SECRET_KEY = "testing-secret-key"
WTF_CSRF_ENABLED = True
RATELIMIT_ENABLED = False
# Counted in the test process: tests never depend on a Redis server.
RATELIMIT_STORAGE_URI = "memory://"
BASE_URL = "http://localhost"
# The suite hashes hundreds of passwords: a cheaper scrypt keeps it quick. The default's strength and
# the upgrade at sign-in are tested with the default setting (tests/integration/test_hostile_access.py).
PASSWORD_HASH_METHOD = "scrypt:16384:8:1"
