"""Time helpers for the programme's rules: absolute time, Amsterdam calendar, ISO weeks, birthdays.

Two kinds of time, kept apart on purpose:
- *Durations and order* are absolute: always compare and subtract in UTC. (Python ignores the offset when
  both operands share one tzinfo object, so 01:30 to 03:30 local on the last Sunday of March would count as
  two hours instead of one: `utc()` avoids that.)
- *Calendar questions* (which day, which ISO week, which birthday) are answered in Europe/Amsterdam local
  time, where the programme happens. A week runs from Monday 00:00 local to the next Monday 00:00 local,
  so a DST week holds 167 or 169 absolute hours.

Birthdays on 29 February: in a non-leap year the birthday is taken to be 1 March. The Dutch civil code has
no explicit rule; 1 March is the common Dutch reading (one is a year older once 28 February has fully
passed) and it never makes a youth 18 early.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; use for every comparison and subtraction."""
    return moment.astimezone(UTC)


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


def local_date(moment: datetime) -> date:
    return local(moment).date()


def at_epoch(seconds: float) -> datetime:
    """The instant ``seconds`` after the epoch (what ``time.time()`` returns), in UTC."""
    return datetime.fromtimestamp(seconds, UTC)


def today_at(seconds: float) -> date:
    """The Amsterdam date at ``seconds`` after the epoch: "today" is where the programme happens, not the
    server's own date (a server in UTC is a day behind between 00:00 and 01:00/02:00 local)."""
    return local_date(at_epoch(seconds))


def start_of_day(day: date) -> datetime:
    """00:00 local on `day` (midnight exists exactly once in Amsterdam: DST changes at 02:00/03:00)."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def end_of_day(day: date) -> datetime:
    """The (exclusive) end of `day`: 00:00 local on the next day."""
    return start_of_day(day + timedelta(days=1))


class IsoWeek(NamedTuple):
    year: int
    week: int

    @classmethod
    def of(cls, moment: datetime) -> IsoWeek:
        """The ISO week of an instant, in Amsterdam local time."""
        return cls.of_date(local_date(moment))

    @classmethod
    def of_date(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 7)

    @property
    def start(self) -> datetime:
        return start_of_day(self.monday)

    @property
    def end(self) -> datetime:
        """Exclusive end: next Monday 00:00 local."""
        return end_of_day(self.sunday)

    def next(self) -> IsoWeek:
        return IsoWeek.of_date(self.monday + timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def weeks_between(first: IsoWeek, last: IsoWeek) -> list[IsoWeek]:
    """All ISO weeks from `first` to `last`, both included."""
    weeks: list[IsoWeek] = []
    week = first
    while week <= last:
        weeks.append(week)
        week = week.next()
    return weeks


def split_by_week(start: datetime, end: datetime) -> dict[IsoWeek, timedelta]:
    """Absolute time of the interval [start, end) per Amsterdam ISO week, cut at Monday 00:00 local."""
    parts: dict[IsoWeek, timedelta] = {}
    cursor = utc(start)
    stop = utc(end)
    while cursor < stop:
        week = IsoWeek.of(cursor)
        cut = min(stop, utc(week.end))
        parts[week] = parts.get(week, timedelta(0)) + (cut - cursor)
        cursor = cut
    return parts


def add_months(day: date, months: int) -> date:
    """Add calendar months; a missing day becomes the month's last day (31 May - 3 months = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def birthday_in(birth_date: date, year: int) -> date:
    """The birthday in `year`; 29 February becomes 1 March in non-leap years (see module docstring)."""
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def nth_birthday(birth_date: date, n: int) -> date:
    return birthday_in(birth_date, birth_date.year + n)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day` (the birthday itself counts as the new age)."""
    years = day.year - birth_date.year
    if day < birthday_in(birth_date, day.year):
        years -= 1
    return years
