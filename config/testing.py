"""Settings the test suite applies on top of the defaults."""

ENV = "testing"
TESTING = True
SECRET_KEY = "testing-secret-key"
WTF_CSRF_ENABLED = True
RATELIMIT_ENABLED = False
# Counted in the test process: tests never depend on a Redis server.
RATELIMIT_STORAGE_URI = "memory://"
BASE_URL = "http://localhost"
