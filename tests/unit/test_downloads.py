"""Downloads from the staff pages and the API: content type, a Content-Disposition every client reads safely, no caching."""
from __future__ import annotations

from flask import Flask

from wfsurvey.blueprints.downloads import baseline_filename, content_disposition, download


def test_a_plain_name_is_sent_as_it_is():
    assert content_disposition("round-12-baseline.csv") == 'attachment; filename="round-12-baseline.csv"'
    assert baseline_filename(12, "xlsx") == "round-12-baseline.xlsx"


def test_a_name_beyond_ascii_gets_a_stand_in_and_the_rfc_5987_form():
    assert content_disposition("Año – Línea base.csv") == (
        "attachment; filename=\"Ano Linea base.csv\"; filename*=UTF-8''A%C3%B1o%20%E2%80%93%20L%C3%ADnea%20base.csv")


def test_quotes_slashes_and_line_breaks_never_reach_the_header_as_they_are():
    header = content_disposition('../a"b\\c\r\nSet-Cookie: x=1.csv')
    assert header == ("attachment; filename=\"_a_b_c__Set-Cookie_ x_1.csv\"; "
                      "filename*=UTF-8''..%2Fa%22b%5Cc%0D%0ASet-Cookie%3A%20x%3D1.csv")
    assert content_disposition("家") == "attachment; filename=\"download\"; filename*=UTF-8''%E5%AE%B6"


def test_a_download_has_its_type_and_is_never_cached():
    with Flask(__name__).app_context():
        csv = download(b"a,b\n", "text/csv; charset=utf-8", "round-3-baseline.csv")
        xlsx = download(b"PK", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "r.xlsx")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8" and csv.get_data() == b"a,b\n"
    assert xlsx.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert csv.headers["Cache-Control"] == xlsx.headers["Cache-Control"] == "no-store"
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="r.xlsx"'
