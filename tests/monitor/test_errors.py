"""Messages the monitor layer raises read as English and keep what the web translates."""

from __future__ import annotations

import pickle
from datetime import date

from monitor.errors import N_, Message, Refused


def test_a_message_is_its_english_sentence_and_keeps_its_id_and_values() -> None:
    message = N_("%(day)s has no %(violation)s to explain", day=date(2026, 11, 25), violation=Message("late"))
    assert message == "2026-11-25 has no late to explain"
    assert message.msgid == "%(day)s has no %(violation)s to explain"
    assert message.values["day"] == date(2026, 11, 25)
    assert str(Refused(message)) == "2026-11-25 has no late to explain"


def test_a_message_survives_pickling_with_its_values() -> None:
    message = N_("request #%(id)s: %(why)s", id=7, why=N_("give a reason"))
    copy = pickle.loads(pickle.dumps(message))
    assert (copy, copy.msgid, copy.values["why"].msgid) == (message, message.msgid, "give a reason")


def test_words_are_joined_each_for_translation_and_none_is_said() -> None:
    joined = Message.words(["late", "away"])
    assert joined == "late, away"
    assert [value.msgid for value in joined.values.values()] == ["late", "away"]
    assert Message.words([]) == "none" and Message.words([]).msgid == "none"
