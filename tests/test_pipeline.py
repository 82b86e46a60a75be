"""The pure decision for one message: loop guards, reply target, threading, template safety."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
from conftest import MAIL, queue_item

from triage.availability import Availability, parse_availability, propose_windows
from triage.classify import load_classifier
from triage.clock import zone_at
from triage.models import Action, Label, Plan, QueueItem, Reply, SlotTime, Verdict
from triage.parse import parse_message
from triage.pipeline import (
    Calendar,
    Identity,
    decide,
    edited_schedule,
    local_text,
    plan_message,
    slot_text,
    window_text,
)
from triage.render import Renderer
from triage.service import fingerprint

ME = Identity(frozenset({"jordan@example.net"}), "Jordan Avery", "Jordan Avery")
INVITE_TEXT = (
    "Hi Jordan,\n\nWe'd like to invite you to a video interview for the Data Analyst "
    "role. Would Tuesday at 3pm or Wednesday at 11am work for you?\n\nBest,\nDana"
)


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


def _mail(**headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Dana Reyes <dana@brightloop.io>")
    msg["To"] = "jordan@example.net"
    msg["Subject"] = headers.pop("Subject", "Interview: Data Analyst")
    msg["Message-ID"] = headers.pop("Message_ID", "<abc123@brightloop.io>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(INVITE_TEXT)
    return msg.as_bytes()


CALENDAR = Calendar(
    now=datetime(2026, 11, 16, 12, 0, tzinfo=UTC),
    availability=Availability(
        parse_availability("Mon-Fri 09:00-17:30"), ZoneInfo("America/New_York")
    ),
)


def _plan(classifier, raw: bytes):  # type: ignore[no-untyped-def]
    return decide(
        raw, classifier, ME, Renderer(), reply_message_id="<reply-1@example.net>", calendar=CALENDAR
    )[1]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "automatic reply"),
        ({"X_Autoreply": "yes"}, "automatic reply"),
        ({"List_Id": "Jobs <jobs.lists.example.org>"}, "mailing-list"),
        ({"Precedence": "bulk"}, "bulk mail"),
        ({"From": "Jordan Avery <jordan@example.net>"}, "your own message"),
        ({"From": "MAILER-DAEMON@mx.example.org"}, "delivery report"),
        ({"List_Post": "<mailto:jobs@lists.example.org>"}, "mailing-list"),
        ({"Precedence": "auto_reply"}, "automatic reply"),
    ],
)
def test_loop_guards_ignore_invites_with_the_reason(classifier, headers, reason) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(classifier, _mail(**headers))
    assert plan.verdict.is_invite
    assert plan.action is Action.IGNORE and reason in plan.reason and plan.reply is None


def test_ats_invite_from_no_reply_with_human_reply_to_gets_a_draft_to_the_human(classifier) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(
        classifier,
        _mail(
            From="Acme Careers <no-reply@ats.example>",
            Auto_Submitted="auto-generated",
            Reply_To="Dana Reyes <dana@acme.example>",
        ),
    )
    assert plan.action is Action.DRAFT and plan.reply is not None
    assert parseaddr(plan.reply.to)[1] == "dana@acme.example"
    assert plan.reply.body.startswith("Hi Dana,")


def test_a_reply_to_naming_the_user_falls_back_to_the_sender(classifier) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(classifier, _mail(Reply_To="Jordan Avery <jordan@example.net>"))
    assert plan.action is Action.DRAFT and plan.reply is not None
    assert parseaddr(plan.reply.to)[1] == "dana@brightloop.io"
    assert plan.reply.body.startswith("Hi Dana,")  # not "Hi Jordan," to the user's own name


@pytest.mark.parametrize(
    "sender",
    [
        "Apple <no_reply@email.apple.com>",
        "Acme <do_not_reply@acme.example>",
        "Acme <no.reply@acme.example>",
        "Acme Careers <careersnoreply@acme.example>",
        "Zoë <zoë@brightloop.io>",  # needs SMTPUTF8, which replies do not use
    ],
)
def test_no_reply_spellings_and_non_ascii_addresses_get_no_draft(classifier, sender: str) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(classifier, _mail(From=sender))
    assert plan.action is Action.NOTIFY and plan.reply is None, plan


def test_ats_invite_nobody_reads_is_queued_for_action_with_links(classifier) -> None:  # type: ignore[no-untyped-def]
    raw = (MAIL / "invite_ats_noreply_link.eml").read_bytes()
    plan = _plan(classifier, raw)
    assert plan.action is Action.NOTIFY and plan.reply is None
    assert "no-reply" in plan.reason and plan.links and plan.links[0].startswith("https://")


def test_reply_threading_and_subject(classifier) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(classifier, _mail(Subject="RE: Re: Interview", References="<r1@x> <r2@y>"))
    assert plan.reply is not None
    assert plan.reply.subject == "Re: Interview"
    assert plan.reply.in_reply_to == "<abc123@brightloop.io>"
    assert plan.reply.references == ("<r1@x>", "<r2@y>", "<abc123@brightloop.io>")
    assert plan.reply.message_id == "<reply-1@example.net>"


def test_email_content_reaches_the_template_only_as_text(classifier) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(classifier, (MAIL / "invite_jinja_in_fields.eml").read_bytes())
    assert plan.reply is not None
    assert "49" not in plan.reply.body
    assert "{{" not in plan.reply.body  # "{{ 7*7 }} Recruiter" is no name: the signature's is used
    assert plan.reply.body.startswith("Hi Hannah,")


def test_reply_reads_like_a_person_wrote_it(classifier) -> None:  # type: ignore[no-untyped-def]
    body = _plan(classifier, _mail()).reply.body  # type: ignore[union-attr]
    assert body.startswith(
        "Hi Dana,\n\nThank you for the invitation to interview for the Data Analyst role"
    )
    assert body.rstrip().endswith("Best regards,\nJordan Avery")
    assert "None" not in body and "{{" not in body


def test_non_invites_are_skipped(classifier) -> None:  # type: ignore[no-untyped-def]
    for name in ("ack_if_selected.eml", "rejection_quoting_invite.eml", "internal_panel.eml"):
        assert _plan(classifier, (MAIL / name).read_bytes()).action is Action.SKIP, name


def test_a_terse_follow_up_counts_only_in_a_thread_triage_knows() -> None:
    # A low bar, so that what decides is the thread, not the exact score of the shipped model.
    classifier = load_classifier(min_score=0.02)
    msg = EmailMessage()
    msg["From"] = "Dana Reyes <dana@brightloop.io>"
    msg["To"] = "jordan@example.net"
    msg["Subject"] = "Re: Tuesday"
    msg["Message-ID"] = "<note@brightloop.io>"
    msg["In-Reply-To"] = "<abc123@brightloop.io>"
    msg.set_content("thursday is out for us now, sorry. how is monday at 11? dana")
    raw = msg.as_bytes()
    asked: list[tuple[str, ...]] = []

    def known(ids):  # type: ignore[no-untyped-def]
        asked.append(tuple(ids))
        return "<abc123@brightloop.io>" in ids

    def unknown(ids):  # type: ignore[no-untyped-def]
        return False

    common = {"reply_message_id": "<reply-1@example.net>", "calendar": CALENDAR}
    _, alone = decide(raw, classifier, ME, Renderer(), known_thread=unknown, **common)
    _, followed = decide(raw, classifier, ME, Renderer(), known_thread=known, **common)
    assert alone.action is Action.SKIP
    assert followed.action is Action.DRAFT and followed.verdict.is_invite
    assert asked == [("<abc123@brightloop.io>",)]


def test_with_no_free_time_to_propose_the_draft_asks_for_times(classifier) -> None:  # type: ignore[no-untyped-def]
    away = frozenset(CALENDAR.now.date() + timedelta(days=n) for n in range(60))  # on leave
    calendar = replace(CALENDAR, availability=replace(CALENDAR.availability, blackout=away))
    _, plan = decide(
        _mail(), classifier, ME, Renderer(), reply_message_id="<r@example.net>", calendar=calendar
    )
    assert plan.action is Action.DRAFT and plan.reply is not None and plan.windows == ()
    body = plan.reply.body
    assert "none of the times you suggested work for me" in body
    assert "Could you suggest a few times" in body
    assert "I'm available" not in body and "these windows" not in body


def _pending(
    chosen: SlotTime | None, windows: tuple[tuple[datetime, datetime], ...], body: str
) -> QueueItem:
    """A pending item as the store gives it back: times at fixed offsets, its draft's text."""

    def fixed(moment: datetime) -> datetime:
        return moment.astimezone(timezone(moment.utcoffset() or timedelta(0)))

    return queue_item(
        reply=Reply("dana@x.example", "Re: Interview", "<m@x.example>", (), body, "<r@y>"),
        chosen=None
        if chosen is None
        else SlotTime(fixed(chosen.start), chosen.end and fixed(chosen.end)),
        windows=tuple((fixed(a), fixed(b)) for a, b in windows),
    )


def _accepting(start: datetime, length: timedelta = timedelta(hours=1)) -> QueueItem:
    """A pending item whose draft accepts ``start`` ("... works well for me.")."""
    body = f"Hi Dana,\n\n{slot_text(start)} works well for me.\n"
    return _pending(SlotTime(start, start + length), (), body)


def test_an_edited_draft_keeps_free_the_times_it_now_states() -> None:
    ny = ZoneInfo("America/New_York")
    now = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # a Thursday
    start = datetime(2026, 12, 8, 14, 0, tzinfo=ny)
    accepted = _accepting(start, timedelta(minutes=90))
    # The accepted time, reworded around, or not restated at all: it stays kept free.
    reworded = "Great,\nTuesday 8 December at 2:00 pm EST   is perfect for me."
    assert edited_schedule(accepted, reworded, now, ny) is None
    assert edited_schedule(accepted, "Thanks, that time works well for me.", now, ny) is None
    # Another time, even beside the old one: kept instead, as long as the old one.
    for text in (
        "Could we do Wednesday at 10:30 instead?",
        f"{slot_text(start)} no longer works. Could we do Wednesday 9 December at 10:30?",
    ):
        moved = edited_schedule(accepted, text, now, ny)
        assert moved is not None and moved[1] == ()
        assert moved[0] is not None and moved[0].start == datetime(2026, 12, 9, 10, 30, tzinfo=ny)
        assert moved[0].end == datetime(2026, 12, 9, 12, 0, tzinfo=ny)
    # Another day at the same time.
    same = edited_schedule(
        accepted, "Could we do Wednesday 9 December instead, same time?", now, ny
    )
    assert same is not None and same[0] is not None
    assert same[0].start == datetime(2026, 12, 9, 14, 0, tzinfo=ny)
    # Proposed windows: those still written are kept, those added are added; times quoted
    # below the text are not read.
    windows = (
        (datetime(2026, 12, 7, 10, tzinfo=ny), datetime(2026, 12, 7, 13, tzinfo=ny)),
        (datetime(2026, 12, 8, 10, tzinfo=ny), datetime(2026, 12, 8, 13, tzinfo=ny)),
    )
    lines = [f"- {window_text(w)}" for w in windows]
    proposing = _pending(None, windows, "\n".join(lines))
    edited = f"{lines[1]}\n- Friday 11 December, 9:00–11:30 am\n\nOn Tue, Dana wrote:\n> 4pm?\n"
    got = edited_schedule(proposing, edited, now, ny)
    assert got is not None and got[0] is None
    assert got[1] == (
        proposing.windows[1],
        (datetime(2026, 12, 11, 9, tzinfo=ny), datetime(2026, 12, 11, 11, 30, tzinfo=ny)),
    )


@pytest.mark.parametrize(
    ("zone", "now"),
    [
        ("Asia/Shanghai", datetime(2026, 11, 16, 1, tzinfo=UTC)),  # its "CST" is not Chicago's
        ("Europe/Dublin", datetime(2026, 6, 15, 7, tzinfo=UTC)),  # its "IST" is not India's
        ("America/Sao_Paulo", datetime(2026, 11, 16, 12, tzinfo=UTC)),  # "-03", and "PT" below
        ("Europe/London", datetime(2026, 11, 17, 10, tzinfo=UTC)),  # on the first window's day
    ],
)
def test_an_edit_that_changes_only_words_keeps_the_windows(zone: str, now: datetime) -> None:
    tz = ZoneInfo(zone)
    availability = Availability(parse_availability("Mon-Fri 09:00-17:30"), tz)
    windows = propose_windows(availability, (), timedelta(minutes=30), now - timedelta(days=1))
    lines = "\n".join(f"- {window_text(w)}" for w in windows)
    item = _pending(None, windows, f"Hi Dana,\n\nI'm available:\n\n{lines}\n")
    body = f"Hi Dana,\n\nI would love to. I'm free:\n\n{lines}\n\nI'm on PT hours.\n"
    assert windows and edited_schedule(item, body, now, tz) is None
    # A window taken out is no longer kept; the others are, as they were.
    fewer = body.replace(f"- {window_text(windows[0])}\n", "")
    assert edited_schedule(item, fewer, now, tz) == (None, item.windows[1:])


def test_windows_written_in_the_senders_zone_too_read_back_as_the_same_windows() -> None:
    london, ny = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
    now = datetime(2026, 11, 16, 9, tzinfo=UTC)
    availability = Availability(parse_availability("Mon-Fri 09:00-17:30"), london)
    windows = propose_windows(availability, (), timedelta(minutes=30), now, theirs=ny)
    # In the New York sender's working day: from 13:00 London (8:00 am there).
    assert [f"{w[0]:%H:%M}" for w in windows] == ["13:00"] * 3
    lines = [f"- {window_text(w, ny)}" for w in windows]
    assert lines[0] == "- Tuesday 17 November, 13:00–16:00 GMT (8:00 am–11:00 am EST)"
    item = _pending(None, windows, "I'm available:\n\n" + "\n".join(lines))
    assert edited_schedule(item, "I'm free:\n" + "\n".join(lines), now, london) is None
    fewer = "I'm free:\n" + "\n".join(lines[1:])
    assert edited_schedule(item, fewer, now, london) == (None, item.windows[1:])


def test_a_window_taken_out_is_freed_though_a_note_in_the_senders_zone_names_its_day() -> None:
    la, tokyo = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Tokyo")
    now = datetime(2026, 12, 1, 18, tzinfo=UTC)
    windows = tuple(
        (datetime(2026, 12, day, 15, tzinfo=la), datetime(2026, 12, day, 17, 30, tzinfo=la))
        for day in (7, 8, 9)
    )
    lines = [f"- {window_text(w, tokyo)}" for w in windows]
    assert "(Tuesday 8 December, 08:00" in lines[0]  # Monday's window is Tuesday in Tokyo
    item = _pending(None, windows, "\n".join(lines))
    got = edited_schedule(item, f"{lines[0]}\n{lines[2]}", now, la)
    assert got == (None, (item.windows[0], item.windows[2]))


def test_the_same_time_on_another_day_beside_the_accepted_one_is_a_remark() -> None:
    london = ZoneInfo("Europe/London")
    item = _accepting(datetime(2026, 12, 10, 14, tzinfo=london))
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    assert item.reply is not None
    remark = item.reply.body + "I'm free the same time on Friday too if needed.\n"
    assert edited_schedule(item, remark, now, london) is None


def test_a_bare_offset_is_written_as_a_zone_that_has_it() -> None:
    winter = datetime(2026, 12, 8, 10, tzinfo=timezone(timedelta(hours=-5)))
    summer = datetime(2026, 6, 9, 10, tzinfo=timezone(timedelta(hours=-5)))
    odd = datetime(2026, 12, 8, 10, tzinfo=timezone(timedelta(hours=4)))
    assert slot_text(winter) == "Tuesday 8 December at 10:00 am EST"
    assert slot_text(summer) == "Tuesday 9 June at 10:00 am CDT"
    assert slot_text(odd) == "Tuesday 8 December at 10:00 UTC+04:00"
    # The sender's zone from a bare offset keeps its daylight-saving changes; an abbreviation
    # both zones use is told apart by the offset.
    their = zone_at(datetime(2026, 10, 30, 10, tzinfo=timezone(timedelta(hours=-4))))
    assert their == ZoneInfo("America/New_York")
    after = datetime(2026, 11, 3, 13, tzinfo=UTC)  # New York is on EST by then
    assert window_text((after, after + timedelta(hours=3)), their).endswith(
        "(8:00 am–11:00 am EST)"
    )
    dublin, india = ZoneInfo("Europe/Dublin"), timezone(timedelta(hours=5, minutes=30))
    summer = datetime(2026, 7, 6, 9, tzinfo=dublin)
    assert window_text((summer, summer + timedelta(hours=3)), india).endswith(
        "09:00–12:00 IST (13:30–16:30 UTC+05:30)"
    )


def test_an_accepted_slot_in_another_zone_survives_a_rewording() -> None:
    dublin, india = ZoneInfo("Europe/Dublin"), ZoneInfo("Asia/Kolkata")
    start = datetime(2026, 11, 19, 16, 0, tzinfo=india)  # the sender's "16:00 IST"
    body = f"Hi,\n\n{slot_text(start)} ({local_text(start, dublin)}) works well for me.\n"
    item = _pending(SlotTime(start, start + timedelta(hours=1)), (), body)
    now = datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert (
        edited_schedule(item, body.replace("works well", "suits me perfectly"), now, dublin) is None
    )


def test_gmt_plus_one_is_not_the_users_gmt() -> None:
    london = ZoneInfo("Europe/London")
    item = _pending(None, (), "Hi Dana,\n\nThank you, I will book a time.\n")
    now = datetime(2026, 11, 16, 9, tzinfo=UTC)
    got = edited_schedule(item, "Could we do Friday 20 November, 15:00–17:00 GMT+1?", now, london)
    assert got is not None
    assert got[1][0][0] == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def test_windows_edited_in_another_order_or_words_are_the_same_windows() -> None:
    london = ZoneInfo("Europe/London")
    now = datetime(2026, 11, 16, 15, tzinfo=UTC)
    windows = tuple(
        (datetime(2026, 11, day, 9, tzinfo=london), datetime(2026, 11, day, 12, tzinfo=london))
        for day in (17, 18, 19)
    )
    a, b, c = (f"- {window_text(w)}" for w in windows)
    item = _pending(None, windows, f"{a}\n{b}\n{c}\n")
    assert edited_schedule(item, f"{c}\n{a}\n{b}\n", now, london) is None  # reordered
    reordered = replace(item, reply=replace(item.reply, body=f"{c}\n{a}\n{b}\n"))
    assert edited_schedule(reordered, f"{c}\n{a}\n", now, london) == (None, item.windows[::2])
    said = "I'm free Tuesday 17, Wednesday 18 or Thursday 19 November, 9am to 12pm."
    assert edited_schedule(item, said, now, london) is None  # one time read, three days named
    wider = f"{a.replace('12:00', '17:00')}\n{b}\n{c}\n"
    got = edited_schedule(item, wider, now, london)
    assert got is not None and got[1][0] == (windows[0][0], windows[0][0] + timedelta(hours=8))
    assert got[1][1:] == item.windows[1:]
    # Other hours for a window: the new one replaces it, which is not kept.
    narrower = f"{a.replace('09:00–12:00', '10:00–11:00')}\n{b}\n{c}\n"
    got = edited_schedule(item, narrower, now, london)
    assert got is not None
    assert got[1] == (
        (datetime(2026, 11, 17, 10, tzinfo=london), datetime(2026, 11, 17, 11, tzinfo=london)),
        *item.windows[1:],
    )
    # Another time that day beside a window still offered: both kept.
    also = f"{said} On Wednesday 18 November I could also do 14:00 if that's easier."
    got = edited_schedule(item, also, now, london)
    assert got is not None
    assert got[1] == (
        *item.windows[:2],
        (datetime(2026, 11, 18, 14, tzinfo=london), datetime(2026, 11, 18, 14, 45, tzinfo=london)),
        item.windows[2],
    )


def test_a_remark_about_the_accepted_slots_day_does_not_move_it() -> None:
    london = ZoneInfo("Europe/London")
    item = _accepting(datetime(2026, 11, 19, 10, tzinfo=london))
    now = datetime(2026, 11, 16, 15, tzinfo=UTC)
    assert item.reply is not None
    for remark in ("I'm free until 11:30 if we need longer.", "I'm around from 9:30 on Thursday."):
        assert edited_schedule(item, item.reply.body + remark, now, london) is None


@pytest.mark.parametrize(
    ("text", "confirmed"),
    [
        (
            "This email confirms your interview for the Data Analyst role on Tuesday 17 "
            "November at 10:00 am EST. Please reply to confirm your attendance.",
            True,
        ),
        (
            "Just confirming your interview on Tuesday 17 November at 10:00 am EST - does that "
            "still work?",
            True,
        ),
        (
            "We'd like to invite you to interview on Tuesday 17 November at 10:00 am EST. Does "
            "that work?",
            False,
        ),
    ],
)
def test_an_invitation_that_confirms_its_one_time_is_answered_as_a_confirmation(
    text: str, confirmed: bool
) -> None:
    body = _answer(Label.INVITE, text)
    assert ("I confirm Tuesday 17 November at 10:00 am EST" in body) is confirmed
    assert ("Thank you for the invitation" in body) is not confirmed


def _plan_for(label: Label, text: str) -> Plan:
    """The plan for Dana's mail of ``text`` (dated Monday 16 November), detected as ``label``."""
    msg = EmailMessage()
    msg["From"] = "Dana Reyes <dana@brightloop.io>"
    msg["To"] = "jordan@example.net"
    msg["Subject"] = "Your interview"
    msg["Date"] = "Mon, 16 Nov 2026 09:00:00 -0500"
    msg.set_content(f"Hi Jordan,\n\n{text}\n\nDana")
    return plan_message(
        parse_message(msg.as_bytes()),
        Verdict(label, 0.8, is_invite=True),
        ME,
        Renderer(),
        reply_message_id="<r@example.net>",
        calendar=CALENDAR,
    )


def _answer(label: Label, text: str) -> str:
    plan = _plan_for(label, text)
    assert plan.reply is not None
    return plan.reply.body


def test_an_agreed_time_is_confirmed_beside_a_request_that_offers_no_other_time() -> None:
    body = _answer(
        Label.INVITE,
        "As discussed, your interview is confirmed for Thursday 19 November at 6:00 pm EST. We "
        "also need you to bring photo ID.",
    )
    assert "I confirm Thursday 19 November at 6:00 pm EST" in body


def test_an_agreed_time_is_confirmed_even_outside_the_users_hours_and_as_a_reschedule() -> None:
    # 6 pm is outside Mon-Fri 09:00-17:30, but it was agreed: no "the new time doesn't work".
    body = _answer(
        Label.RESCHEDULE,
        "As agreed on the phone, your interview is confirmed for Thursday 19 November at "
        "6:00 pm EST. Could you please confirm you can still make it?",
    )
    assert "I confirm Thursday 19 November at 6:00 pm EST" in body
    assert "doesn't work" not in body


def test_a_reschedule_with_a_booking_link_and_no_time_says_it_will_rebook_there() -> None:
    body = _answer(
        Label.RESCHEDULE,
        "Unfortunately we need to reschedule your interview. Please rebook a new time using "
        "https://calendly.com/brightloop/interview",
    )
    assert "book a new time through your scheduling link" in body
    assert "Thank you for the invitation" not in body and "I'm available" not in body


def test_only_mail_without_a_message_id_has_a_fingerprint_and_it_is_stable() -> None:
    with_id = parse_message(_mail(Date="Mon, 16 Nov 2026 09:00:00 -0500"))
    without = _mail(Date="Mon, 16 Nov 2026 09:00:00 -0500").replace(
        b"Message-ID: <abc123@brightloop.io>\n", b""
    )
    assert fingerprint(with_id) is None
    first, again = fingerprint(parse_message(without)), fingerprint(parse_message(without))
    assert first is not None and first == again
    other = without.replace(b"Interview: Data Analyst", b"Interview: Data Engineer")
    assert fingerprint(parse_message(other)) not in (None, first)
    # without a Date a templated resend would look the same: no fingerprint, never a duplicate
    undated = without.replace(b"Date: Mon, 16 Nov 2026 09:00:00 -0500\n", b"")
    assert fingerprint(parse_message(undated)) is None


@pytest.mark.parametrize(
    "text",
    [
        "We have moved your interview to Thursday 19 November at 10:00 am EST. No need to reply "
        "- see you then!",
        "We need to move your interview. Our coordinator will send you a new Calendly invite "
        "once the panel is set; no action needed from you.",
    ],
)
def test_an_interview_the_sender_needs_no_answer_for_is_an_action_item_not_a_draft(
    text: str,
) -> None:
    plan = _plan_for(Label.RESCHEDULE, text)
    assert plan.action is Action.NOTIFY and plan.reply is None
    assert "needs no answer" in plan.reason


@pytest.mark.parametrize(
    "text",
    [
        "Your application is confirmed. Would Saturday 21 November at 8pm work for a first "
        "interview?",
        "The role is confirmed as remote. Can you do Thursday 19 November at 11pm EST?",
        "Just confirming your availability: could you do Saturday 21 November at 8:00 pm?",
        "Your interview is confirmed for Saturday 21 November at 7:00 pm EST. If that doesn't "
        "suit, we also have availability on Wednesday or Friday during the day - just say.",
    ],
)
def test_a_time_outside_the_users_hours_is_confirmed_only_when_agreed_and_alone(text: str) -> None:
    # Not the interview confirmed, or other days offered beside it: the time is not taken.
    body = _answer(Label.INVITE, text)
    assert "I confirm" not in body and "doesn't work" in body
