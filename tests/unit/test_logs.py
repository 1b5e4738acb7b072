"""Respondent tokens never reach the logs: the dev server's and gunicorn's request lines are redacted."""
import logging

from wfsurvey import logs


def test_request_lines_with_a_token_are_redacted(caplog):
    logs.install()
    token = "ZEiL1_C-VKFHF7WqVqCYMC_1_psUFmhz0uMVYqwPcW8"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "%s %s HTTP/1.1" 200 -', "GET", f"/r/{token}/opt-out")
        logging.getLogger("gunicorn.access").info("GET /r/%s", token)
    assert token not in caplog.text
    assert "/r/[token]/opt-out" in caplog.text
    assert logs.redact("/staff/rounds/12") == "/staff/rounds/12"
