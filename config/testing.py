"""Settings the test suite applies on top of the defaults."""

ENV = "testing"
TESTING = True
SECRET_KEY = "testing-secret-key"
WTF_CSRF_ENABLED = True
RATELIMIT_ENABLED = False
BASE_URL = "http://localhost"
