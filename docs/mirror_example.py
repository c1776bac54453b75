"""Keep a local SQLite copy of the CTHT record in sync with its change feed (/api/v1/changes/).

    pip install httpx
    python mirror_example.py https://ctht.example.org [mirror.sqlite3]   # or CTHT_API_URL=...
    CTHT_TOKEN=<key> python mirror_example.py ...   # with a token: what that token sees

Run it as often as you like (cron): each run reads only what changed since the last one.
The copy holds each entry as the API shows it, one row per (resource, id).
"""

import json
import os
import sqlite3
import sys

import httpx

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    resource TEXT, id INTEGER, json TEXT, PRIMARY KEY (resource, id)
);
CREATE TABLE IF NOT EXISTS state (last TEXT);
"""


def sync(base_url: str, db: sqlite3.Connection, token: str | None = None) -> int:
    """Apply every change since the stored cursor; return how many entries were applied."""
    db.executescript(SCHEMA)
    headers = {"Authorization": f"Token {token}"} if token else {}
    start = f"{base_url.rstrip('/')}/api/v1/changes/"
    stored = db.execute("SELECT last FROM state").fetchone()
    params = {"page_size": 500, "since": stored[0]} if stored else {"page_size": 500}
    url, applied, from_scratch = start, 0, not stored
    with httpx.Client(headers=headers, timeout=60) as http:
        while url:
            response = http.get(url, params=params)
            if response.status_code == 410:  # our cursor is older than the feed: start again
                if from_scratch:  # once, not in a loop
                    raise RuntimeError(f"410 while reading the feed from its start: {url}")
                with db:
                    db.execute("DELETE FROM entries")
                    db.execute("DELETE FROM state")
                url, params, applied, from_scratch = start, {"page_size": 500}, 0, True
                continue
            response.raise_for_status()
            page = response.json()
            with db:  # a page's entries and its cursor are stored together, or not at all
                for change in page["results"]:
                    key = (change["resource"], change["id"])
                    if change["action"] == "delete":
                        db.execute("DELETE FROM entries WHERE resource = ? AND id = ?", key)
                    else:
                        db.execute(
                            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                            (*key, json.dumps(change["object"])),
                        )
                db.execute("DELETE FROM state")
                db.execute("INSERT INTO state (last) VALUES (?)", (page["last"],))
            applied += len(page["results"])
            url, params = page["next"], None  # `next` carries `since` and `page_size`
    return applied


if __name__ == "__main__":
    base = sys.argv[1] if len(sys.argv) > 1 else os.environ["CTHT_API_URL"]
    path = sys.argv[2] if len(sys.argv) > 2 else "ctht-mirror.sqlite3"
    # The token from the environment, not the command line (where `ps` would show it).
    count = sync(base, sqlite3.connect(path), os.environ.get("CTHT_TOKEN"))
    print(f"{count} change(s) applied to {path}")
