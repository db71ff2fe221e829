"""Reads Sightline's encrypted hot store and Parquet files with DuckDB's Python package, a reader
independent of Sightline's code: given the data keys (base64), prints the events it counts in each."""
import json
import sys

import duckdb


def main(database, database_key, parquet_glob, parquet_key, mark):
    con = duckdb.connect()
    con.execute(f"ATTACH '{database}' AS hot (ENCRYPTION_KEY '{database_key}', READ_ONLY)")
    hot = con.execute("SELECT count(*) FROM hot.events WHERE payload::VARCHAR LIKE ?", [f"%{mark}%"]).fetchone()[0]
    con.execute(f"PRAGMA add_parquet_key('sightline', '{parquet_key}')")
    cold = con.execute(
        f"SELECT count(*) FROM read_parquet('{parquet_glob}', encryption_config = {{footer_key: 'sightline'}}) WHERE payload::VARCHAR LIKE ?",
        [f"%{mark}%"],
    ).fetchone()[0]
    print(json.dumps({"hot": hot, "cold": cold}))


if __name__ == "__main__":
    main(*sys.argv[1:6])
