"""Refusals from the monitor layer reach a page in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.errors import N_, Message, Refused
from web.i18n import say

REFUSAL = Refused(N_("you may not file requests for %(code)s (not in your units)", code="NV001"))


@pytest.mark.parametrize(("language", "expected"), [
    ("vi", "NV001: ngày 25/11/2026 không có đi muộn để giải trình (các vi phạm của ngày: về sớm, vắng trong giờ)"),
    ("en", "NV001: Nov 25, 2026 has no late to explain (the day holds: early, away)"),
])
def test_a_refusal_is_said_in_the_page_language(app, language: str, expected: str) -> None:
    # the outer message is not in the catalog: its English stands, and what it holds is still translated
    message = N_("%(day)s has no %(violation)s to explain (the day holds: %(found)s)",
                 day=date(2026, 11, 25), violation=Message("late"), found=Message.words(["early", "away"]))
    with app.test_request_context(headers={"Accept-Language": language}):
        assert say(Refused(N_("%(code)s: %(refusal)s", code="NV001", refusal=message))) == expected


def test_plain_text_and_other_exceptions_pass_through(app) -> None:
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        assert say("just text") == "just text"
        assert say(ValueError("bad value")) == "bad value"
        assert say(REFUSAL) == "bạn không được lập đề nghị cho NV001 (không thuộc đơn vị của bạn)"
