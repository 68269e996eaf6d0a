#!/usr/bin/env python3
"""The Python peer of the benchmark (bench/bench.ts runs it; not part of the connector).

What a plain Python tap does with the same CSV files: csv.DictReader, per-type conversion
(Integer -> int, Boolean -> bool, DateTime: the wall time in the export's zone -> RFC 3339 with
that zone's offset, empty cell -> null) and json.dumps of an Airbyte RECORD message per row,
written to stdout.

    python3 bench/peer.py TYPES.json TIMEZONE STREAM FILE.csv...

TYPES.json maps each column name to its type (Integer, Boolean, DateTime, String...).
"""
import csv
import json
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo


def main() -> None:
    types_path, tz_name, stream = sys.argv[1], sys.argv[2], sys.argv[3]
    files = sys.argv[4:]
    with open(types_path, encoding="utf-8") as f:
        types = json.load(f)
    zone = ZoneInfo(tz_name)

    def to_int(s: str):
        return int(s) if s != "" else None

    def to_bool(s: str):
        return None if s == "" else s == "true"

    def to_dt(s: str):
        if s == "":
            return None
        return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).isoformat()

    def to_str(s: str):
        return s if s != "" else None

    conv_of = {"Integer": to_int, "Boolean": to_bool, "DateTime": to_dt}
    out = sys.stdout
    emitted_at = int(time.time() * 1000)
    for path in files:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            convs = [(name, conv_of.get(types.get(name, "String"), to_str)) for name in reader.fieldnames or []]
            for row in reader:
                data = {name: conv(row[name]) for name, conv in convs}
                out.write(
                    json.dumps(
                        {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": emitted_at}},
                        ensure_ascii=False,
                        separators=(",", ":"),
                    )
                )
                out.write("\n")
    out.flush()


if __name__ == "__main__":
    main()
