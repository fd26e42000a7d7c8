"""Masking of subscriber endpoints in text and nested JSON."""

from __future__ import annotations

from watchkeeper.reports.redact import redact_json, redact_text


def test_email_keeps_first_letter_and_domain():
    assert redact_text("secops@example.com") == "s****@example.com"
    assert redact_text("mail a.b+x@corp.example.org now") == "mail a****@corp.example.org now"


def test_url_keeps_scheme_and_host_only():
    assert (
        redact_text("https://hooks.example.com/services/T0/B0/token?x=1")
        == "https://hooks.example.com/…"
    )
    assert redact_text("http://user:pw@h.example.com:8443/x") == "http://h.example.com:8443/…"
    assert redact_text("https://hooks.example.com") == "https://hooks.example.com/"


def test_phone_numbers_keep_last_two_digits():
    assert redact_text("+1 555 123 4567") == "+*********67"


def test_arns_are_not_touched():
    arn = "arn:aws:sns:us-east-1:111122223333:alerts:902a69d7-0938-4f59-a1bf-30b39e1dc55c"
    assert redact_text(arn) == arn
    assert redact_text("arn:aws:lambda:us-east-1:111122223333:function:pager") == (
        "arn:aws:lambda:us-east-1:111122223333:function:pager"
    )


def test_masking_is_idempotent():
    for text in ("s@example.com", "https://h.example.com/a/b", "+441234567890"):
        once = redact_text(text)
        assert redact_text(once) == once


def test_nested_json_is_masked_everywhere_and_copied():
    doc = {
        "Endpoint": "soc@example.com",
        "list": [{"url": "https://x.example.com/hook/abc"}, 3, None, True],
        "n": 1.5,
    }
    out = redact_json(doc)
    assert out == {
        "Endpoint": "s****@example.com",
        "list": [{"url": "https://x.example.com/…"}, 3, None, True],
        "n": 1.5,
    }
    assert doc["Endpoint"] == "soc@example.com"  # the input is left alone


def test_redactor_masks_only_the_known_endpoints():
    from watchkeeper.reports.redact import Redactor

    r = Redactor(["soc@example.com", "https://hooks.example.com/T0/secret", "+15551234567", None])
    text = "to soc@example.com and https://hooks.example.com/T0/secret, not ops@example.com"
    assert (
        r.text(text) == "to s****@example.com and https://hooks.example.com/…, not ops@example.com"
    )
    doc = {"a": ["+15551234567", "https://console.aws.amazon.com/x"]}
    assert r.json(doc) == {"a": ["+*********67", "https://console.aws.amazon.com/x"]}


def test_redactor_keeps_arn_endpoints_and_is_a_no_op_without_endpoints():
    from watchkeeper.reports.redact import Redactor

    arn = "arn:aws:sqs:us-east-1:111122223333:alerts"
    assert Redactor([arn]).text(arn) == arn
    assert Redactor([]).json({"x": "soc@example.com"}) == {"x": "soc@example.com"}
