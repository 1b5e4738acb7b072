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
# The suite hashes and checks thousands of passwords: a cheap scrypt (N=2^10, about 1 MiB and a few ms a
# hash; at N=2^14 they took about half of the CPU time of an ordinary test) keeps it quick. The default's strength
# and the upgrade at sign-in are tested with the default setting (tests/integration/test_hostile_access.py).
PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
