"""Reads Sightline's Iceberg tables with pyiceberg, independently of Sightline, and prints what it found.

  read_iceberg.py static <metadata.json> [--day YYYY-MM-DD] [--rows]
  read_iceberg.py rest <catalog uri> <token or -> [--day YYYY-MM-DD] [--prop key=value ...] [--rows]

For each table: rows, distinct keys (ids of events; window, size and group of aggregates), the
snapshots and schemas, the rows of the first snapshot (time travel), the files and rows a filter on one day
plans and reads (partition pruning), rows per user_id for events, and with --rows every row (a
dead letter's original bytes as text).
"""
import argparse
import json

from pyiceberg.catalog import load_catalog
from pyiceberg.table import StaticTable


def describe(table, day, rows=False):
    arrow = table.scan().to_arrow()
    names = arrow.column_names
    out = {"rows": arrow.num_rows, "columns": names, "snapshots": len(table.snapshots()),
           "schemas": len(table.metadata.schemas), "current_schema_id": table.metadata.current_schema_id}
    if rows:
        values = arrow.to_pylist()
        for r in values:
            if isinstance(r.get("original"), bytes):
                r["original"] = r["original"].decode("utf-8", "replace")
        out["row_values"] = sorted(values, key=lambda r: str(r.get("id", r.get("dlq_pos"))))
    if "dlq_pos" in names:
        out["distinct_keys"] = len(set(arrow.column("dlq_pos").to_pylist()))
        time_column = "failed_at_time"
    elif "id" in names:
        out["distinct_keys"] = len(set(arrow.column("id").to_pylist()))
        users = {}
        for u in arrow.column("user_id").to_pylist():
            users[str(u)] = users.get(str(u), 0) + 1
        out["user_ids"] = users
        time_column = "event_time"
    else:
        keys = zip(arrow.column("window_size").to_pylist(), arrow.column("window_start").to_pylist(), arrow.column("group_key").to_pylist())
        out["distinct_keys"] = len(set(keys))
        time_column = "window_start_time"
    if table.snapshots():
        first = table.snapshots()[0].snapshot_id
        out["first_snapshot_rows"] = table.scan(snapshot_id=first).to_arrow().num_rows
    if day:
        scan = table.scan(row_filter=f"{time_column} >= '{day}T00:00:00' and {time_column} < '{day}T23:59:59.999999'")
        out["day_files"] = len(list(scan.plan_files()))
        out["day_rows"] = scan.to_arrow().num_rows
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["static", "rest"])
    parser.add_argument("where")
    parser.add_argument("token", nargs="?")
    parser.add_argument("--day")
    parser.add_argument("--prop", action="append", default=[])
    parser.add_argument("--rows", action="store_true")
    args = parser.parse_args()
    props = dict(p.split("=", 1) for p in args.prop)
    if args.mode == "static":
        print(json.dumps(default=str, obj={"tables": {"table": describe(StaticTable.from_metadata(args.where, properties=props), args.day, args.rows)}}))
        return
    auth = {"token": args.token} if args.token and args.token != "-" else {"auth": {"type": "noop"}}
    catalog = load_catalog("sightline", **{"type": "rest", "uri": args.where, **auth, **props})
    tables = {}
    for namespace in catalog.list_namespaces():
        for identifier in catalog.list_tables(namespace):
            tables[identifier[-1]] = describe(catalog.load_table(identifier), args.day, args.rows)
    print(json.dumps(default=str, obj={"namespaces": [list(n) for n in catalog.list_namespaces()], "tables": tables}))


main()
