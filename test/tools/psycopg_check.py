"""psycopg (3) against Sightline's Postgres port: connect over TLS with a password, run
parameterised queries (psycopg binds them on the server: Parse/Bind with $1, $2), print JSON.

Run: python3 psycopg_check.py <host> <port> <password> <ca file> <since epoch ms>
"""
import datetime
import json
import sys

import psycopg

host, port, password, ca, since = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
out = {}
with psycopg.connect(host=host, port=port, user="sightline", password=password, dbname="sightline", sslmode="verify-full", sslrootcert=ca) as conn:
    with conn.cursor() as cur:
        start = datetime.datetime.fromtimestamp(since / 1000, tz=datetime.timezone.utc)
        cur.execute("SELECT count(*) AS n FROM events WHERE user_id = %s AND timestamp >= %s AND event_time >= %s", ("u0", since, start))
        out["count"] = cur.fetchone()[0]
        cur.execute("SELECT group_key, sum(count)::BIGINT FROM page_views WHERE window_start >= %(from)s GROUP BY 1 ORDER BY 1", {"from": 0})
        out["windows"] = [f"{g}={c}" for g, c in cur.fetchall()]
        cur.execute("SELECT id, event_time, late FROM events ORDER BY timestamp LIMIT 1")
        row = cur.fetchone()
        out["first"] = [row[0], row[1].isoformat(), row[2]]
        out["server_version"] = conn.info.server_version
        try:
            cur.execute("DROP VIEW events")
            out["drop"] = "allowed"
        except psycopg.Error as e:
            out["drop"] = e.sqlstate
print(json.dumps(out))
