"""Notices and reminders (issue 4): what people receive, from Jinja2 templates, delivered reliably.

- `outbox` — the rows the engine writes in a transition's own transaction, with the event's context snapshot
  (`Engine._record`), and `enqueue_reminder` for the deadline sweep's reminders;
- `kinds` — notification kind → template (`templates/*.txt.j2`, `*.html.j2`; documents print on A4);
- `render` — one sandboxed Jinja2 environment, StrictUndefined, HTML autoescaping, masking of identifiers;
- `recipients` — roles and scope → users → channels; users' contact data (`shequ user add/contact`);
- `dispatch` — `dispatch_due(app)`: claim, render, send, retry with exponential backoff, dead-letter;
- `channels` — SMTP, HMAC-signed HTTP webhook, file and console, behind one Protocol;
- `config` — channel configuration from a TOML file (`SHEQU_NOTIFY_CONFIG`) and the environment;
- `masking` — ID and phone numbers masked in logs (engine.logging) and in every notification.
"""
