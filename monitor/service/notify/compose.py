"""Composing the messages: a unit's digest, the weekly summary, an alert, a reminder,
a test message. The content is computed once per unit and rendered per language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from monitor.config import Config
from monitor.reports.summary import day_summary
from monitor.service.notify.alerts import Outcome
from monitor.service.notify.contracts import DigestContext, Pair, Reminder, Section
from monitor.service.notify.digest import UnitCalendar, unit_rows
from monitor.service.notify.render import Message, render
from monitor.service.notify.sources import DIGEST_SECTIONS
from monitor.service.notify.words import day_text, word
from monitor.store import Store

SUMMARY_KEYS = ("required", "present", "late", "early", "leave", "absent", "missing")


@dataclass(frozen=True)
class Digest:
    """A unit's digest for a day, before it is rendered in someone's language."""

    unit: dict[str, Any]
    day: date
    variant: str
    session: str
    summary: dict[str, int]
    sections: tuple[Section, ...]
    link: str | None

    def subject(self, lang: str) -> str:
        session = f" ({self.session})" if self.session else ""
        return (f"[{word('brand', lang)}] {self.unit['name']} · {day_text(self.day, lang, weekday=True)}"
                f" · {word(self.variant, lang)}{session}")

    def render(self, lang: str, settings_link: str | None) -> Message:
        title = self.subject(lang).split("] ", 1)[1]
        return render("digest", lang, self.subject(lang), title=title, summary=self.summary, sections=self.sections,
                      link=self.link, settings_link=settings_link)

    def webhook_body(self, site: str) -> dict[str, Any]:
        """Counts and a link only: personal details stay behind the login (vietnam.md §9)."""
        return {"site": site, "unit": self.unit["code"], "unit_name": self.unit["name"], "date": self.day.isoformat(),
                "variant": self.variant, "counts": {k: self.summary[k] for k in (*SUMMARY_KEYS, "pending")},
                "text": self.subject("vi"), "link": self.link}


def page_link(config: Config, path: str) -> str | None:
    return f"{config.notify.site_url}{path}" if config.notify.site_url else None


def build_digest(store: Store, config: Config, calendar: UnitCalendar, unit_code: str, day: date, moment: datetime,
                 variant: str, *, head: str | None = None, memo: dict[str, Any] | None = None) -> Digest:
    """The digest of ``unit_code`` (and the units below it) on ``day`` at ``moment``.

    Its counts are :func:`day_summary` of the today page's rows for the unit."""
    unit = calendar.units[unit_code] if unit_code in calendar.units else store.unit(unit_code)
    rows = unit_rows(store, unit_code, day)
    context = DigestContext(
        store=store, policy=config.policy, notify=config.notify, devices=config.devices, unit=unit,
        unit_codes=calendar.below(unit_code), unit_chain=calendar.chain(unit_code), day=day, moment=moment,
        variant=variant, rows=tuple(rows), previous_day=calendar.previous_working_day(unit_code, day), head=head,
        memo={} if memo is None else memo,
    )
    sections = tuple(section for _name, source in DIGEST_SECTIONS.filled() if (section := source(context)) is not None)
    return Digest(
        unit=dict(unit), day=day, variant=variant, session=calendar.session_text(unit_code, day, variant),
        summary=day_summary(rows), sections=sections,
        link=page_link(config, f"/?unit={unit_code}&date={day.isoformat()}"),
    )


def previous_week(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week before ``day``'s."""
    monday = day - timedelta(days=day.weekday() + 7)
    return monday, monday + timedelta(days=6)


def build_weekly(store: Store, config: Config, calendar: UnitCalendar, unit_code: str, first: date, last: date,
                 lang: str, settings_link: str | None) -> Message:
    """The week's totals of the unit (its whole tree) and of each unit directly below it,
    summed from the day summaries of its working days."""
    items = []
    for code in (unit_code, *sorted(calendar.children.get(unit_code, []))):
        totals = dict.fromkeys(SUMMARY_KEYS, 0)
        days = 0
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if not calendar.is_working_day(code, day):
                continue
            days += 1
            summary = day_summary(unit_rows(store, code, day))
            for key in SUMMARY_KEYS:
                totals[key] += summary[key]
        items.append({"unit": calendar.units[code], "days": days, "totals": totals})
    unit = calendar.units[unit_code]
    week = word("week_of", lang, first=day_text(first, lang), last=day_text(last, lang))
    subject = f"[{word('brand', lang)}] {unit['name']} · {word('weekly', lang)} · {week}"
    return render("weekly", lang, subject, title=f"{unit['name']} · {week}", units=items,
                  link=page_link(config, f"/month?unit={unit_code}&month={first:%Y-%m}"), settings_link=settings_link)


def build_alert(config: Config, outcome: Outcome, lang: str, settings_link: str | None) -> Message:
    problems = [c.summary for c in outcome.new]
    repeated = [c.summary for c in outcome.repeated]
    recovered: list[Pair] = list(outcome.recovered)
    if problems or repeated:
        title = f"{word('alert_title', lang)}: {word('alert_problems', lang, count=len(problems) + len(repeated))}"
    else:
        title = word("alert_recovered", lang)
    subject = f"[{word('brand', lang)}] {config.site.name} · {title}"
    return render("alert", lang, subject, title=title, problems=problems, repeated=repeated, recovered=recovered,
                  link=page_link(config, "/devices"), settings_link=settings_link)


def build_reminder(reminder: Reminder, lang: str, settings_link: str | None) -> Message:
    title = reminder.title[0] if lang == "vi" else reminder.title[1]
    return render("reminder", lang, f"[{word('brand', lang)}] {title}", reminder=reminder, settings_link=settings_link)


def build_test(config: Config, moment: datetime, lang: str) -> Message:
    smtp = config.notify.smtp
    return render("test", lang, f"[{word('brand', lang)}] {word('test_subject', lang)} · {config.site.name}",
                  site=config.site.name, server=f"{smtp.host}:{smtp.port}",
                  moment=moment.strftime("%d/%m/%Y %H:%M:%S" if lang == "vi" else "%Y-%m-%d %H:%M:%S"),
                  settings_link=page_link(config, "/account/notifications"))
