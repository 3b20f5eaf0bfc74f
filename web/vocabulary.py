"""Words that reach templates as data (roles, statuses), marked here for translation."""

from flask_babel import lazy_gettext as _l

WORDS = [
    _l("admin"),
    _l("hr"),
    _l("manager"),
    _l("online"),
    _l("offline"),
    _l("error"),
    _l("unknown"),
    _l("degraded"),
    _l("collector not running"),
]
