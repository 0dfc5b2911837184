"""The kickoff's calendar invite: a first 45-minute meeting in the partners' working-hours overlap.

Pure functions: :func:`first_meeting` (and :func:`first_common_slot` for a group) choose the slot,
:func:`calendar_file` writes the iCalendar file (RFC 5545, via ``icalendar``). Working hours are 09:00-17:00
on weekdays, each person in their own timezone; the meeting is on a day at least :data:`LEAD_DAYS` calendar
days after kickoff (in the cohort's timezone), so both have read their introduction first. When the
working hours never overlap (people 12 hours apart), the slot is the one nearest to everyone's hours: the
time spent outside them is spread as evenly as a 15-minute grid allows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


from mentorflow.messaging.message import one_line

WORK_START, WORK_END = dt.time(9), dt.time(17)
MEETING = dt.timedelta(minutes=45)
LEAD_DAYS = 2
STEP = dt.timedelta(minutes=15)  # every timezone offset in use is a multiple of 15 minutes
HORIZON_DAYS = 14  # two full weeks: every weekday pattern, DST changes included
SUMMARY = "Mentoring: first meeting"
MIME_TYPE = "text/calendar; method=REQUEST; charset=utf-8"
UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def zone(name: str | None, fallback: str) -> ZoneInfo:
    """``name`` as a timezone, or ``fallback`` (the cohort's) when it is missing or not an IANA name."""
    try:
        return ZoneInfo(name) if name and name.strip() else ZoneInfo(fallback)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(fallback)


def _zone(value: str | dt.tzinfo) -> dt.tzinfo:
    return ZoneInfo(value) if isinstance(value, str) else value


def _working_hours(tz: dt.tzinfo, first: dt.date, days: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """Each weekday's 09:00-17:00 in ``tz`` from ``first`` on, in UTC."""
    out = []
    for n in range(days):
        day = first + dt.timedelta(days=n)
        if day.weekday() < 5:
            out.append((dt.datetime.combine(day, WORK_START, tz).astimezone(UTC),
                        dt.datetime.combine(day, WORK_END, tz).astimezone(UTC)))
    return out


Hours = list[tuple[dt.datetime, dt.datetime]]


def _outside(start: int, end: int, hours: list[tuple[int, int]], starts: list[int]) -> int:
    """Minutes of [start, end) outside the nearest working day of ``hours`` (0: fully inside; all in minutes
    since the epoch). The nearest is the day that began last before ``start`` or the next one (``starts``:
    each day's start, sorted)."""
    i = bisect.bisect_right(starts, start)
    return min(max(0, ws - start) + max(0, end - we) for ws, we in hours[max(0, i - 1):i + 1])


def _intersect(a: Hours, b: Hours) -> Hours:
    """The times inside both sorted lists of intervals."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def first_common_slot(zones: list[str | dt.tzinfo], after: dt.datetime, *,
                      lead_days: int = LEAD_DAYS) -> tuple[dt.datetime, dt.datetime, bool]:
    """(start, end, overlap) in UTC: the first 45 minutes inside everyone's working hours on a day at least
    ``lead_days`` after ``after`` (an aware moment; its own timezone's calendar counts the days); with no
    such time, the slot whose largest time outside anyone's hours is smallest (then the smallest total,
    then the earliest), and ``overlap`` False."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime (the cohort's calendar, config.at)")
    first_day = after.date() + dt.timedelta(days=lead_days)
    earliest = dt.datetime.combine(first_day, dt.time(0), after.tzinfo).astimezone(UTC)
    earliest = earliest.replace(minute=earliest.minute - earliest.minute % 15, second=0, microsecond=0)
    # the answer depends on the set of zones only: a cohort's pairs share a few, so each set is solved once
    return _slot(tuple(sorted({_zone(z) for z in zones}, key=str)), earliest)


@functools.lru_cache(maxsize=1024)
def _slot(zones: tuple[dt.tzinfo, ...], earliest: dt.datetime) -> tuple[dt.datetime, dt.datetime, bool]:
    horizon = earliest + dt.timedelta(days=HORIZON_DAYS)
    span = HORIZON_DAYS + 4  # local days around the horizon, whatever the offsets
    hours = [_working_hours(z, (earliest - dt.timedelta(days=2)).date(), span) for z in zones]
    common = hours[0]
    for other in hours[1:]:
        common = _intersect(common, other)
    for ws, we in common:
        start = max(ws, earliest)
        if we - start >= MEETING and start < horizon:
            return start, start + MEETING, True
    # no overlap: the nearest slot on a 15-minute grid (counted in whole minutes, which is quick)
    minutes = [[(_minutes(ws), _minutes(we)) for ws, we in h] for h in hours]
    starts = [[ws for ws, _ in h] for h in minutes]
    length, step = MEETING // dt.timedelta(minutes=1), STEP // dt.timedelta(minutes=1)
    best: tuple[int, int, int] | None = None
    for start in range(_minutes(earliest), _minutes(horizon), step):
        costs = [_outside(start, start + length, h, s) for h, s in zip(minutes, starts)]
        rank = (max(costs), sum(costs), start)
        best = rank if best is None or rank < best else best
    assert best is not None
    chosen = EPOCH + dt.timedelta(minutes=best[2])
    return chosen, chosen + MEETING, False


def _minutes(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(minutes=1)


def first_meeting(tz_a: str | dt.tzinfo, tz_b: str | dt.tzinfo,
                  after: dt.datetime) -> tuple[dt.datetime, dt.datetime, bool]:
    """The first meeting of a pair: see :func:`first_common_slot`."""
    return first_common_slot([tz_a, tz_b], after)


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str


def uid(cohort_id: str, space_id: str) -> str:
    """One event per space: every copy and every re-send carries the same UID, so calendars update, not add."""
    return f"first-meeting.{space_id}.{cohort_id}@mentorflow"


def description(link: str | None, overlap: bool, program: str) -> str:
    """What the event says: a proposal, how it was chosen, and the reader's own partnership link."""
    lines = [f"A first 45-minute meeting proposed by {program}."]
    if overlap:
        lines.append("It falls in everyone's working hours (09:00-17:00 on weekdays, each in their own timezone).")
    else:
        lines.append("Your working hours do not overlap, so this is the time nearest to everyone's working hours "
                     "(09:00-17:00 on weekdays, each in their own timezone): it is early or late for some of you.")
    lines.append("Move it to a time that suits you all.")
    if link:
        lines.append(f"Your partnership page (agreement, goals, meeting log; your personal link, please do not "
                     f"forward it): {link}")
    return "\n".join(lines)


def calendar_file(*, event_uid: str, start: dt.datetime, end: dt.datetime, overlap: bool,
                  organizer: Attendee, attendees: list[Attendee], link: str | None, stamp: dt.datetime,
                  program: str) -> bytes:
    """The iCalendar file (METHOD:REQUEST, times in UTC, CRLF lines folded at 75 octets). The program is the
    organizer; attendees are not asked to reply (they agree the time between them). It carries names,
    addresses, the time and the reader's link: never an answer from an application or a form."""
    import icalendar  # imported when an invitation is written: the match stage imports this module's stage too

    cal = icalendar.Calendar()
    cal.add("prodid", "-//mentorflow//first meeting//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", event_uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", SUMMARY)
    event.add("description", description(link, overlap, program))
    event.add("status", "TENTATIVE")
    event.add("sequence", 0)
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(organizer))
    for person in attendees:
        address = _address(person)
        address.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"})
        event.add("attendee", address, encode=0)
    cal.add_component(event)
    return cal.to_ical()


def _address(person: Attendee):  # an icalendar.vCalAddress
    import icalendar  # see calendar_file

    address = icalendar.vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = one_line(person.name)
    return address


def filename(space_id: str) -> str:
    return f"first-meeting-{space_id}.ics"
