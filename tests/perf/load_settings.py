"""The example site's settings (``demo.settings``, read as they are) with the one change several worker
processes on one SQLite file need: write transactions take the write lock when they begin
(``transaction_mode = "IMMEDIATE"``, Django 5.1+), and wait for it up to ``timeout`` seconds.

With SQLite's default deferred transactions, a transaction that reads and then writes (the first sign-on
of a user: is the username free? then INSERT) fails at once with "database is locked" when another
process wrote in between; waiting is not possible then. Server databases (PostgreSQL, MySQL) need none of
this. ``load.py`` also turns the file's journal to WAL, so readers never wait for the writer.
"""

from demo.settings import *  # noqa: F403
from demo.settings import DATABASES

DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # the default, said out loud: shared by the workers
