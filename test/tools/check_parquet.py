"""Reads Sightline's cold store with pyarrow, independently of DuckDB, and prints what it found."""
import json
import os
import sys

import pyarrow.dataset as ds


def main(root: str) -> None:
    out = {}
    datasets = {"events": f"{root}/events"}
    if os.path.isdir(f"{root}/aggregates"):
        for agg in sorted(os.listdir(f"{root}/aggregates")):
            datasets[f"aggregates/{agg}"] = f"{root}/aggregates/{agg}"
    if os.path.isdir(f"{root}/audit"):
        datasets["audit"] = f"{root}/audit"
    for name, path in datasets.items():
        if not os.path.isdir(path):
            continue
        # The Iceberg tables' own files (metadata/: JSON and Avro) sit beside the Parquet folders.
        dataset = ds.dataset(path, format="parquet", partitioning="hive", ignore_prefixes=[".", "_", "metadata"])
        table = dataset.to_table()
        entry = {"rows": table.num_rows, "columns": table.column_names, "files": len(dataset.files)}
        if name == "events":
            entry["distinct_ids"] = len(set(table.column("id").to_pylist()))
            entry["days"] = sorted({str(d) for d in table.column("dt").to_pylist()})
            # Rows per user id, to check what a deletion request left.
            users = {}
            for user in table.column("user_id").to_pylist():
                users[str(user)] = users.get(str(user), 0) + 1
            entry["user_ids"] = users
        elif name == "audit":
            # The chain from the files alone: consecutive sequence numbers, each prev the hash before.
            rows = sorted(table.select(["seq", "prev", "hash"]).to_pylist(), key=lambda r: r["seq"])
            entry["seqs"] = [r["seq"] for r in rows]
            entry["chained"] = all(b["prev"] == a["hash"] for a, b in zip(rows, rows[1:]))
        else:
            entry["count_sum"] = sum(table.column("count").to_pylist())
        out[name] = entry
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
