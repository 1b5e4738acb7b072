"""Building an outbox message's bytes: what a standard parser reads back, header encoding, folding, line lengths."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
from types import SimpleNamespace

import pytest

from wfsurvey.mail.outbox import unsubscribe_headers
from wfsurvey.mail.transports import build_message, outbox_id_of

MAIL_FROM = "State Workforce Association <surveys@example.org>"
DATE = dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.timezone.utc)
OPT_OUT = "https://surveys.example.org/r/SRU7SMcg5kAAq_0uOMuJ1soiAPvzLZZhNCOy8_c0JFU/opt-out"


def row(**overrides) -> SimpleNamespace:
    values = {
        "id": 42, "dedupe_key": "invitation:42", "to_addr": "ana@example.org",
        "subject": "Advanced Manufacturing baseline: survey for Foothill Workforce Board",
        "body_text": "Dear Ana,\n\nYour link: https://surveys.example.org/r/tok\n",
        "body_html": "<p>Dear Ana,</p>\n<p><a href=\"https://surveys.example.org/r/tok\">Open the survey</a></p>",
        "headers": unsubscribe_headers(OPT_OUT),
    }
    return SimpleNamespace(**{**values, **overrides})


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def content(message: email.message.EmailMessage, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content().replace("\r\n", "\n")


def test_a_parser_reads_back_every_header_and_both_parts():
    built = build_message(row(), MAIL_FROM, date=DATE)
    message = parse(built.data)

    assert message.defects == [] and all(part.defects == [] for part in message.walk())
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == MAIL_FROM and message["To"] == "ana@example.org"
    assert message["Subject"] == row().subject
    assert message["Date"] == "Fri, 20 Nov 2026 17:00:00 +0000"
    assert outbox_id_of(message) == 42 and message["Message-ID"].endswith("@example.org>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A URL in a List-Unsubscribe header must stay readable as it is: never RFC 2047-encoded.
    assert f"List-Unsubscribe: <{OPT_OUT}>\r\n".encode() in built.data
    assert content(message, "plain") == row().body_text == built.text
    assert content(message, "html") == row().body_html + "\n" == built.html
    assert (built.envelope_from, built.envelope_to, built.international) == ("surveys@example.org", "ana@example.org", False)
    assert built.headers["Subject"] == row().subject and built.headers["List-Unsubscribe"] == f"<{OPT_OUT}>"


def test_non_ascii_names_subjects_and_bodies_round_trip_in_seven_bit_lines():
    subject = "Ronda «Manufactura avanzada»: encuesta para la Asociación Ñandú — " + "muy larga " * 12
    text = "Estimada Ana Núñez,\r\nsu enlace: https://surveys.example.org/r/tok\n.\nFin con espacio \n"
    html = "<p>Привет, мир! " + "Текст " * 80 + "</p>"
    built = build_message(row(subject=subject.strip(), body_text=text, body_html=html),
                          "Asociación Laboral del Valle <encuestas@example.org>", date=DATE)
    message = parse(built.data)

    assert message["Subject"] == subject.strip()
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Asociación Laboral del Valle", "encuestas@example.org")
    assert content(message, "plain") == "Estimada Ana Núñez,\nsu enlace: https://surveys.example.org/r/tok\n.\nFin con espacio \n"
    assert content(message, "html") == html + "\n"
    assert built.data.isascii()
    # Every line within 78 characters but the one word that cannot be folded (at most 998 are allowed).
    long_lines = [line for line in built.data.split(b"\r\n") if len(line) > 78]
    assert long_lines == [f"List-Unsubscribe: <{OPT_OUT}>".encode()]
    assert b"\n" not in built.data.replace(b"\r\n", b"")
    encodings = [p["Content-Transfer-Encoding"] for p in message.iter_parts()]
    assert encodings == ["quoted-printable", "base64"]  # mostly Latin text, then mostly Cyrillic


def test_short_ascii_lines_go_as_seven_bit_and_long_headers_fold_at_spaces():
    subject = "Reminder: " + " ".join(f"word{i}" for i in range(40))
    built = build_message(row(subject=subject, body_html="<p>short</p>"), MAIL_FROM, date=DATE)
    message = parse(built.data)

    assert [p["Content-Transfer-Encoding"] for p in message.iter_parts()] == ["7bit", "7bit"]
    head = built.data.split(b"\r\n\r\n", 1)[0].decode()
    subject_lines = head.split("Subject: ", 1)[1].split("\r\nDate:", 1)[0].split("\r\n")
    assert len(subject_lines) > 1 and all(len(line) <= 78 for line in subject_lines)
    assert all(line.startswith(" ") for line in subject_lines[1:])
    assert message["Subject"] == subject


@pytest.mark.parametrize("overrides", [
    {"subject": "Hello\r\nBcc: everyone@example.org"},
    {"to_addr": "a@example.org\nBcc: b@example.org"},
    {"headers": {"X-Note": "one\ntwo"}},
    {"headers": {"Bad Name": "x"}},
    {"headers": {"subject": "a second subject"}},
])
def test_a_header_the_message_cannot_carry_is_refused(overrides):
    with pytest.raises(ValueError):
        build_message(row(**overrides), MAIL_FROM, date=DATE)


def test_an_address_outside_ascii_needs_smtputf8():
    built = build_message(row(to_addr="josé@exämple.org"), MAIL_FROM, date=DATE)
    assert built.international and built.envelope_to == "josé@exämple.org"
    # Such a message goes out with SMTPUTF8: its headers are UTF-8 as they are.
    received = email.message_from_string(built.data.decode("utf-8"), policy=email.policy.SMTPUTF8)
    assert received["To"].addresses[0].addr_spec == "josé@exämple.org"
