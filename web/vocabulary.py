"""Words that reach templates as data (roles, statuses), marked here for translation."""

from flask_babel import lazy_gettext as _l

WORDS = [
    _l("admin"),
    _l("hr"),
    _l("manager"),
    _l("timekeeper"),
    _l("online"),
    _l("offline"),
    _l("error"),
    _l("unknown"),
    # requests: roles, kinds, statuses, violations, audit actions, punch directions
    _l("staff"),
    _l("explanation"),
    _l("correction"),
    _l("leave"),
    _l("pending"),
    _l("approved"),
    _l("rejected"),
    _l("withdrawn"),
    _l("revoked"),
    _l("late"),
    _l("early"),
    _l("away"),
    _l("missing_in"),
    _l("missing_out"),
    _l("absent"),
    _l("partial_absent"),
    _l("file"),
    _l("attach"),
    _l("approve"),
    _l("reject"),
    _l("revoke"),
    _l("withdraw"),
    _l("add"),
    _l("remove"),
]
