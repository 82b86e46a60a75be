"""Extraction details that golden files do not pin down: roles, phone numbers, accented names."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest

from triage.extract import company_of, extract, greeting_name, is_scheduling_link, role_of
from triage.models import Address, Message
from triage.parse import parse_message


def _message(body: str, sender: str = "Dana Reyes <dana@fjallvindpay.se>") -> Message:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "sam@example.net"
    msg["Subject"] = "Interview"
    msg["Date"] = "Mon, 16 Nov 2026 09:00:00 +0000"
    msg.set_content(body)
    return parse_message(msg.as_bytes())


@pytest.mark.parametrize(
    ("sentence", "role"),
    [
        (
            "Thank you for your interest in the Revenue Manager role at Sable Cove.",
            "Revenue Manager",
        ),
        (
            "We'd like to discuss the Head of Retail Operations role with you.",
            "Head of Retail Operations",
        ),
        (
            "Thank you for applying for the role of Legal Operations Analyst at Pennant.",
            "Legal Operations Analyst",
        ),
        ("Thank you for your application as DevOps Engineer at Feldlicht.", "DevOps Engineer"),
        (
            "Thank you for your application for the post of Learning Technologist.",
            "Learning Technologist",
        ),
        (
            "Thanks for applying to the Mobile Engineer (Android) position!",
            "Mobile Engineer (Android)",
        ),
        ("We would like to invite you to interview next week.", ""),
    ],
)
def test_the_role_as_written(sentence: str, role: str) -> None:
    assert role_of(_message(f"Hi Sam,\n\n{sentence}\n\nBest,\nDana")) == role


def test_a_phone_number_keeps_its_area_code_brackets() -> None:
    found = extract(_message("Hi Sam,\n\nCall me at (303) 555-0178 on Tuesday at 10am.\n\nDana"))
    assert found.phones == ("(303) 555-0178",)


def test_the_company_keeps_the_accents_its_domain_drops() -> None:
    message = _message("Hi Sam,\n\nThank you for applying to Fjällvind Pay. Are you free Tuesday?")
    assert company_of(message, ()) == "Fjällvind Pay"


def test_a_company_name_stops_at_the_end_of_its_line() -> None:
    body = "Hi Sam,\n\nI am writing on behalf of our client Northwind\nWe'd like to invite you."
    assert company_of(_message(body), ()) == "Northwind"


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param(
            "We would like to interview you for the " + "Very " * 3000 + "Senior Engineer role.",
            id="3,000 words",
        ),
        pytest.param(
            "We would like to interview you for the Engineer (see https://evil.example/x) role.",
            id="a link",
        ),
    ],
)
def test_a_role_too_long_or_carrying_a_link_is_left_out(sentence: str) -> None:
    assert role_of(_message(sentence)) == ""


@pytest.mark.parametrize(
    ("url", "booking"),
    [
        ("https://www.facebook.com/brightloop", False),
        ("https://brightloop.io/ebook.pdf", False),
        ("https://local.example/", False),
        ("https://medical.example/team", False),
        ("https://cobaltway.teamtailor-mail.com/meetings/book/4c1b9", True),
        ("https://book.example-ats.com/x1", True),
        ("https://cal.com/dana/30min", True),
        ("https://meetwith.slotsy.co/dana", True),
    ],
)
def test_a_booking_word_counts_at_the_start_of_a_word_only(url: str, booking: bool) -> None:
    assert is_scheduling_link(url) is booking


@pytest.mark.parametrize(
    ("sentence", "minutes"),
    [
        ("Please arrive 15 minutes early for your 60-minute interview.", 60),
        ("Reply within 48 hours, please. The interview lasts 45 minutes.", 45),
        ("It will be a 1 hour call.", 60),
        ("It is a 1.5 hour interview.", 90),  # not 5 hours
        ("Please reply within 3 hours. It is a 45 minute call.", 45),
    ],
)
def test_the_interviews_length_is_not_a_lead_time_or_a_reply_window(
    sentence: str, minutes: int
) -> None:
    assert extract(_message(sentence)).duration_minutes == minutes


def test_a_stated_length_gives_an_offered_time_its_end() -> None:
    body = "We'd like to invite you to a 90-minute interview on Tuesday 17 November at 4:30pm ET."
    (slot,) = extract(_message(body)).slots
    assert slot.end is not None and slot.end - slot.start == timedelta(minutes=90)


def test_a_range_longer_than_the_stated_length_is_a_window_to_start_in() -> None:
    body = (
        "We're running interviews on Tuesday 17 November, 3-6pm. Each interview is 30 minutes"
        " - which time suits you?"
    )
    found = extract(_message(body))
    (slot,) = found.slots
    assert (f"{slot.start:%H:%M}", slot.end and f"{slot.end:%H:%M}") == ("15:00", "15:30")


def test_office_hours_in_a_signature_are_no_slot_and_no_length() -> None:
    body = (
        "Would Tuesday 17 November at 10:00 suit you?\n\nBest,\nAnna\n"
        "Office hours: Monday to Friday, 8:00-16:00"
    )
    found = extract(_message(body))
    assert [f"{s.start:%a %H:%M}" for s in found.slots] == ["Tue 10:00"]
    assert found.duration_minutes is None


@pytest.mark.parametrize(
    ("sender", "body", "company"),
    [
        # A city in the address is not the company its domain names.
        (
            "Ann <ann@cardiffmetrics.co.uk>",
            "Visit us at 12 Harbour Street, Cardiff.",
            "Cardiff Metrics",
        ),
        # A domain name the body never spells: its words, when it ends in a company word.
        ("Ann <ann@keystonepartners.com>", "Are you free on Tuesday?", "Keystone Partners"),
        ("Ann <ann@baltic-ai.com>", "Are you free on Tuesday?", "Baltic AI"),
        ("Ann <ann@bonsai.io>", "Are you free on Tuesday?", "Bonsai"),  # not "Bons AI"
        ("Ann <ann@rabobank.nl>", "Are you free on Tuesday?", "Rabobank"),
        ("Ann <ann@salesforce.com>", "Are you free on Tuesday?", "Salesforce"),
        ("Ann <ann@brightfield.io>", "Are you free on Tuesday?", "Brightfield"),
        ("Ann <ann@keystone-partners.com>", "Are you free on Tuesday?", "Keystone Partners"),
        ("Ann <ann@quaysidelabs.com>", "Thanks for applying to Quayside Lab.", "Quayside Lab"),
    ],
)
def test_the_company_is_spelt_as_the_body_does_or_from_its_domain(
    sender: str, body: str, company: str
) -> None:
    assert company_of(_message(body, sender), ()) == company


def test_a_length_said_of_part_of_the_interview_keeps_the_offered_end() -> None:
    body = (
        "We'd like to invite you to interview on Tuesday 17 November, 13:00-14:30. The first 15"
        " minutes will be a short introduction from the team."
    )
    (slot,) = extract(_message(body)).slots
    assert (f"{slot.start:%H:%M}", slot.end and f"{slot.end:%H:%M}") == ("13:00", "14:30")


def test_a_range_offered_for_a_shorter_call_is_a_window_to_start_in() -> None:
    body = "Could you do a 30-minute call sometime between 2pm and 5pm on Tuesday 17 November?"
    (slot,) = extract(_message(body)).slots
    assert (f"{slot.start:%H:%M}", slot.end and f"{slot.end:%H:%M}") == ("14:00", "14:30")


@pytest.mark.parametrize(
    ("name", "greeted"),
    [
        ("JOHN SMITH", "John"),  # a name written in capitals is not shouted back
        ("MARY-JANE WATSON", "Mary-Jane"),
        ("Dr. ANNA KOWALSKA", "Anna"),
        ("JJ Abrams", "JJ"),  # initials stay as written
        ("okafor, samuel", "Samuel"),
    ],
)
def test_the_greeting_is_the_first_name_as_a_person_writes_it(name: str, greeted: str) -> None:
    assert greeting_name(Address(name, "x@example.org")) == greeted
