"""A study file cannot stall a worker: its size, its values and its nesting are bounded before it is built.

The penetration test posted 990 KB of short YAML lines to the new-study
page: PyYAML's pure-Python loader took 14-34 s, gunicorn killed the worker
at its 30 s timeout, and four such uploads held up an unrelated sign-in for
32 s. Study files now go through libyaml, at most 256 KB and 50,000 values.
"""

import threading
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from analysis.files.bounded import MAX_BYTES, MAX_NODES
from surveys.models import Study
from tests.factories import UserFactory, allow_study_creation
from tests.gunicorn import http_request, serve

pytestmark = pytest.mark.django_db


def worst_file_under_the_cap() -> bytes:
    """The slowest file the bounds let through: valid, and as many statements as the value cap allows."""
    head = (
        "slug: worst\ntitle: The worst study file\n"
        "options: [{code: a, name: a, short: a, group: add}]\nvignettes: [{code: v, title: t, text: x}]\nstatements:\n"
    )
    body = "".join(f"- {{code: s{i}, vignette: v, text: S{i}, options: [a]}}\n" for i in range(4600))
    raw = (head + body).encode()
    assert len(raw) <= MAX_BYTES
    return raw


def post_study_file(client, raw: bytes, name: str = "study.yaml"):
    upload = SimpleUploadedFile(name, raw, content_type="application/yaml")
    return client.post(reverse("surveys:study_new"), {"file": upload})


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"slug: x\n" + b"- a\n" * (MAX_BYTES // 4), "larger than 256 KB"),
        (b"slug: x\ntitle: y\noptions:\n" + b"- a\n" * (MAX_NODES + 10), f"more than {MAX_NODES:,} values"),
        (b"options: &a [*a]\n", "aliases (*name) are not allowed"),
        (b"slug: " + b"[" * 100 + b"]" * 100 + b"\n", "nested too deeply"),
    ],
    ids=["over the size", "over the values", "an alias", "nested"],
)
def test_a_file_past_a_bound_is_refused_at_the_field_quickly(client, raw, words):
    client.force_login(allow_study_creation(UserFactory()))
    start = time.perf_counter()

    response = post_study_file(client, raw)

    assert time.perf_counter() - start < 5
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Study.objects.exists()


def test_a_page_of_errors_lists_the_first_hundred_and_counts_the_rest(client):
    client.force_login(allow_study_creation(UserFactory()))
    raw = b"slug: x\ntitle: y\nvignettes: []\noptions:\n" + b"- {code: 'Not a code'}\n" * 300

    page = post_study_file(client, raw).content.decode()

    assert page.count("options[") <= 100 * 3
    assert "and 1," in page or "more problems" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="gunicorn cannot share the in-memory SQLite database")
def test_the_worst_file_under_the_cap_finishes_inside_the_timeout_while_another_request_is_served():
    with serve(workers=2, timeout=30) as (port, _master):
        client = Client()
        client.force_login(allow_study_creation(UserFactory(username="uploader")))
        cookies = {"sessionid": client.cookies["sessionid"].value}
        status, page = http_request(port, "GET", "/studies/new/", cookies=cookies)
        assert status == 200
        token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        boundary = uuid.uuid4().hex
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"worst.yaml\"\r\n"
            "Content-Type: application/yaml\r\n\r\n"
        ).encode() + worst_file_under_the_cap() + f"\r\n--{boundary}--\r\n".encode()
        outcome = {}

        def upload():
            start = time.monotonic()
            outcome["status"] = http_request(
                port, "POST", "/studies/new/", cookies=dict(cookies), body=body,
                content_type=f"multipart/form-data; boundary={boundary}",
            )[0]
            outcome["seconds"] = time.monotonic() - start

        thread = threading.Thread(target=upload)
        thread.start()
        start = time.monotonic()
        assert http_request(port, "GET", "/accounts/login/", cookies={})[0] == 200
        meanwhile = time.monotonic() - start
        thread.join(timeout=60)

        print(f"\nworst file under the cap: {outcome}, another request meanwhile {meanwhile:.2f} s")
        assert outcome["status"] == 302, outcome
        assert outcome["seconds"] < 10, outcome
        assert meanwhile < 5
        assert Study.objects.get(slug="worst").rounds.get().items.filter(type="likert").count() == 4600
