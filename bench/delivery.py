"""Benchmark 5: delivering 5,000 outbox messages to a local aiosmtpd sink, against raw smtplib on one reused connection.

The messages are the real invitation messages of a launched round (SQLite). Each repetition
delivers from a fresh copy of that database with `deliver_outbox` (claims, starts, building the
messages, outcomes, events, projections: everything the delivery job does), and the floor sends
the same rows with smtplib over a single connection, each side to a sink process of its own. The
floor's messages are built (same headers, same multipart/alternative shape, about the same size)
and flattened to bytes before its clock starts, so it times the SMTP exchange with the sink and
nothing else.

The two take turns in slices of SLICE_BATCHES delivery batches (400 messages) rather than one
after the other: the shared machine's speed drifts by tens of percent within seconds, and
alternating slices lets both sides meet the same drift. Each side's time is the sum of its slices.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import email.policy
import email.utils
import json
import smtplib
import subprocess
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage

from sqlalchemy import func, select

from bench import common, data
from bench.common import Metric, Size

FULL = 5000


@contextlib.contextmanager
def sink() -> Iterator[tuple[int, dict]]:
    """A sink process on a free port; after the block the dict holds what it counted."""
    port = common.free_port()
    proc = subprocess.Popen([common.PYTHON, "-m", "bench.smtp_sink", str(port)], cwd=common.ROOT,
                            stdout=subprocess.PIPE, text=True)
    counted: dict = {}
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")
        common.wait_for_port(port, proc=proc)
        yield port, counted
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        counted.update(json.loads(lines[-1]) if lines else {"messages": -1})


def prepare(count: int) -> tuple[str, dt.datetime]:
    """A SQLite database with an open round whose `count` invitation messages wait in the outbox."""
    path = common.work_dir() / "delivery_base.sqlite"
    common.remove_sqlite(path)
    url = common.sqlite_url(path)
    app = common.make_app(url)
    common.migrate(app)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with app.app_context():
        data.open_round(count, now)
    common.dispose(app)
    return url, now


#: Delivery batches (of OUTBOX_BATCH_SIZE, 200) per slice; the floor sends as many messages in between.
SLICE_BATCHES = 2


def deliver(url: str, port: int, now: dt.datetime, profile: bool = False,
            between: Callable[[int], None] | None = None) -> tuple[float, dict, str]:
    """Deliver the whole outbox; with `between`, a slice at a time, calling between(messages sent) after each.

    The time returned is deliver_outbox's only, summed over the slices.
    """
    from wfsurvey.extensions import db
    from wfsurvey.jobs.delivery import deliver_outbox
    from wfsurvey.models import OutboxMessage

    app = common.make_app(url, SMTP_URL=f"smtp://127.0.0.1:{port}")
    text = ""
    with app.app_context():
        if profile:
            started = time.perf_counter()
            report, text = common.profile(lambda: deliver_outbox(now=now), "deliver_outbox of the whole outbox:")
            seconds = time.perf_counter() - started
            sent, failed = report.sent, report.failed + report.retried + report.unknown
        else:
            seconds, sent, failed = 0.0, 0, 0
            while True:
                started = time.perf_counter()
                report = deliver_outbox(now=now, max_batches=SLICE_BATCHES if between else None)
                seconds += time.perf_counter() - started
                sent, failed = sent + report.sent, failed + report.failed + report.retried + report.unknown
                if not report.sent or between is None:
                    break
                between(report.sent)
        sent_rows = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent"))
        db.session.rollback()
    common.dispose(app)
    return seconds, {"sent": sent, "rows_sent": sent_rows, "failed": failed}, text


def prebuilt(url: str, mail_from: str) -> list[tuple[str, bytes]]:
    """The floor's messages: each row built with the standard library and flattened to bytes, before any clock starts.

    EmailMessage gives them the same headers and multipart/alternative shape as ours, so the
    floor is the wire and the sink alone: building, claims and bookkeeping are all ours to pay.
    """
    from sqlalchemy import create_engine

    from wfsurvey.models import OutboxMessage

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.id, OutboxMessage.to_addr, OutboxMessage.subject, OutboxMessage.body_text,
                                   OutboxMessage.body_html, OutboxMessage.headers).order_by(OutboxMessage.id)).all()
    engine.dispose()
    built = []
    for row in rows:
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = mail_from
        message["To"] = row.to_addr
        message["Subject"] = row.subject
        message["Date"] = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc))
        message["Message-ID"] = f"<floor.{row.id}@example.org>"
        for name, value in (row.headers or {}).items():
            message[name] = value
        message.set_content(row.body_text)
        message.add_alternative(row.body_html, subtype="html")
        built.append((row.to_addr, message.as_bytes()))
    return built


class Floor:
    """smtplib on one connection to its own sink, sending the pre-built messages a slice at a time."""

    def __init__(self, port: int, messages: list[tuple[str, bytes]], mail_from: str):
        self.smtp = smtplib.SMTP("127.0.0.1", port)
        self.messages, self.envelope_from = messages, email.utils.parseaddr(mail_from)[1]
        self.sent, self.seconds = 0, 0.0

    def send(self, count: int) -> None:
        started = time.perf_counter()
        for to_addr, message in self.messages[self.sent:self.sent + count]:
            self.smtp.sendmail(self.envelope_from, [to_addr], message)
        self.seconds += time.perf_counter() - started
        self.sent = min(len(self.messages), self.sent + count)

    def finish(self) -> None:
        """Whatever the slices left (none when both sides sent the same count), then QUIT."""
        self.send(len(self.messages) - self.sent)
        self.smtp.quit()


def per_message(counted: dict) -> str:
    """Mean size of what the sink received, to show both sides sent messages of the same size."""
    return f"{counted['bytes'] / max(counted['messages'], 1):,.0f} bytes/message"


def run(size: Size) -> list[Metric]:
    count = size.n(FULL, 20)
    base, now = prepare(count)
    rates, floors, notes = [], [], []
    all_sent = True
    text = ""
    try:
        for rep in range(size.reps):
            url = common.copy_sqlite(base, f"delivery_{rep}")
            try:
                mail_from = common.BENCH_CONFIG["MAIL_FROM"]
                with sink() as (port, counted), sink() as (floor_port, floor_counted):
                    floor_side = Floor(floor_port, prebuilt(url, mail_from), mail_from)
                    seconds, outcome, _ = deliver(url, port, now + dt.timedelta(minutes=1), between=floor_side.send)
                    floor_side.finish()
                all_sent = all_sent and outcome["sent"] == count == outcome["rows_sent"] == counted["messages"]
                all_sent = all_sent and floor_counted["messages"] == floor_side.sent == count
                rates.append(count / seconds)
                floors.append(floor_side.sent / floor_side.seconds)
                notes.append(f"rep {rep + 1}: {outcome['sent']} sent in {seconds:.1f} s, sink received {counted['messages']} "
                             f"({per_message(counted)}); floor {floor_side.sent} in {floor_side.seconds:.1f} s, sink received "
                             f"{floor_counted['messages']} ({per_message(floor_counted)})")
            finally:
                common.remove_sqlite(common.sqlite_path(url))
        notes.insert(0, "floor: the rows built with email.message.EmailMessage and flattened to bytes before timing; "
                        "timed: smtplib.sendmail of each over one reused connection (the wire and the sink only)")
        notes.insert(1, f"the two take turns: {SLICE_BATCHES} delivery batches of ours, then as many messages of the "
                        "floor's; each side is timed over its own slices, so the machine's drift meets both alike")
        metric = Metric(
            number="5", name=f"outbox delivery of {count:,} messages to an aiosmtpd sink, SQLite", unit="msg/s",
            values=rates, target="≥ 80 % of the floor's messages/s", check=lambda m: (m.ratio or 0) >= 0.8,
            floor=floors, floor_name="smtplib.sendmail of pre-built messages, one reused connection, same sink", notes=notes,
            conditions={"every message sent once and recorded sent; the floor's sink got each of its own": all_sent}, scaled=not size.full,
        )
        if not metric.passed and size.full:
            url = common.copy_sqlite(base, "delivery_profile")
            try:
                with sink() as (port, _):
                    _, _, text = deliver(url, port, now + dt.timedelta(minutes=1), profile=True)
            finally:
                common.remove_sqlite(common.sqlite_path(url))
            metric.profile = text
    finally:
        common.remove_sqlite(common.sqlite_path(base))
    return [metric]


def main() -> None:
    common.cli(__doc__.splitlines()[0], run)


if __name__ == "__main__":
    main()
