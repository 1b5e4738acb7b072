"""Issue 12, part 4's leftovers: `/` is the front door (the staff home when signed in, else the sign-in page), and
`wfsurvey jobs run` prints its report in one piece, with no log line in between."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web import signed_in  # noqa: F401  (a fixture)

BIN = Path(sys.executable).parent


def test_the_front_door_leads_to_the_staff_home_or_the_sign_in_page(client, signed_in):
    signed_out = client.get("/")
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == "/login"
    staff, _ = signed_in("staff")
    response = staff.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert "Survey rounds" in staff.get("/", follow_redirects=True).get_data(as_text=True)


@pytest.mark.slow
def test_jobs_run_prints_its_report_without_log_lines_in_between(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFSURVEY_")}
    env.update(WFSURVEY_INSTANCE_PATH=str(tmp_path), WFSURVEY_RATELIMIT_STORAGE_URI="memory://")

    def wfsurvey(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(BIN / "wfsurvey"), *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    wfsurvey("init-db")
    wfsurvey("demo")
    launch = ("from wfsurvey import create_app\nfrom wfsurvey.domain import commands as cmd\n"
              "from wfsurvey.services import handle\napp = create_app()\nwith app.app_context():\n"
              "    handle(cmd.LaunchRound(1), actor='cli')\n")
    subprocess.run([sys.executable, "-c", launch], env=env, check=True, timeout=120)
    # Both streams as a terminal shows them: the delivery of the invitations logs a line at INFO.
    done = subprocess.run([str(BIN / "wfsurvey"), "jobs", "run"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].startswith("running jobs at ")
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["series", "windows", "reminders", "delivery", "designations"], lines
    assert "delivery: sent=" in done.stdout and "INFO" not in done.stdout
