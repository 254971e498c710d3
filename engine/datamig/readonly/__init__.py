"""Read-only mode: a site keeps answering reads while its rows move.

While an upgrade snapshots, restores and verifies, the old release can go on serving
every request that does not write. Two parts, one file each:

- :mod:`.gate` - the flag file and the drain lock, shared by the site's requests and the
  window (no Django): the window sets the flag, then waits until every request that began
  without it has ended; from then on no request can write.
- :mod:`.wsgi` - the WSGI middleware the site's app server runs the site through (Django):
  with the flag set, requests that would write are answered 503 with a page that says so
  and a ``Retry-After``; reads are served, their SQL checked so that a read that writes
  (a session saved, a last-seen stamp) is answered 503 too, never acknowledged and lost.
- :mod:`.sql` - which SQL statements write.
"""
