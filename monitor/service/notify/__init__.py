"""Telling people: the morning digest to unit heads, alerts to IT, reminders.

* :mod:`.sources` — the registries the digest, the alerts and the reminders read: each
  built-in part and each hook that later features fill (requests, spool, backups,
  tamper signals, the month's close) is a named slot there;
* :mod:`.digest` — what a unit head reads in the morning (and the weekly summary),
  counted with the same report functions as the today page;
* :mod:`.alerts` — conditions IT must hear about, rate-limited, with one "back to normal";
* :mod:`.render` — the Jinja templates, Vietnamese first, and the e-mail itself;
* :mod:`.channels` — SMTP (STARTTLS or SSL) and the signed JSON webhook;
* :mod:`.outbox` — every notification recorded under a unique key before it is sent,
  retried with back-off, never sent twice;
* :mod:`.notifier` — what is due at a moment; the collector's scheduler calls it.
"""
