"""ClickHouse (embedded, through the `chdb` package) as the storage and query
peer of benchmarks/run.

    clickhouse.py ingest DATADIR EVENTS.jsonl
        Creates the table and inserts the events sluice's shipper produced
        (one JSON event per line, the same bytes the aggregator consumes).
        Prints "rows N" and "bytes N" (the active parts' bytes on disk).
    clickhouse.py query DATADIR RUNS NEEDLE
        Runs each benchmark query RUNS times in one process and prints one
        line per query: NAME HITS MS1 MS2 ... (wall milliseconds per run).

The table mirrors what the aggregator stores: the reserved event keys as
columns, everything else in a Map, MergeTree ordered by (service, time),
every column ZSTD(1), and a token bloom filter index on message so a word
search can skip granules, as sluice's index lets a search skip blocks.
benchmarks/run measures this process with wait4() like every other.
"""
import sys
import time

from chdb import session

RESERVED = ["time", "id", "host", "source", "path", "offset", "service", "level", "message"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    time    DateTime64(9, 'UTC') CODEC(ZSTD(1)),
    id      String CODEC(ZSTD(1)),
    host    LowCardinality(String) CODEC(ZSTD(1)),
    source  LowCardinality(String) CODEC(ZSTD(1)),
    path    LowCardinality(String) CODEC(ZSTD(1)),
    offset  UInt64 CODEC(ZSTD(1)),
    service LowCardinality(String) CODEC(ZSTD(1)),
    level   LowCardinality(String) CODEC(ZSTD(1)),
    message String CODEC(ZSTD(1)),
    fields  Map(String, String) CODEC(ZSTD(1)),
    INDEX message_tokens message TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1
) ENGINE = MergeTree ORDER BY (service, time)
"""


def q(sess, sql, fmt="TabSeparated"):
    return str(sess.query(sql, fmt)).strip()


def ingest(datadir, events):
    sess = session.Session(datadir)
    sess.query("CREATE DATABASE IF NOT EXISTS bench")
    sess.query("USE bench")
    sess.query(SCHEMA)
    reserved = ", ".join("'%s'" % k for k in RESERVED)
    sess.query(
        f"""
        INSERT INTO logs
        SELECT
            parseDateTime64BestEffortOrZero(JSONExtractString(line, 'time'), 9, 'UTC'),
            JSONExtractString(line, 'id'),
            JSONExtractString(line, 'host'),
            JSONExtractString(line, 'source'),
            JSONExtractString(line, 'path'),
            JSONExtractUInt(line, 'offset'),
            JSONExtractString(line, 'service'),
            JSONExtractString(line, 'level'),
            JSONExtractString(line, 'message'),
            mapFilter((k, v) -> k NOT IN ({reserved}),
                      CAST(JSONExtractKeysAndValuesRaw(line), 'Map(String, String)'))
        FROM file('{events}', 'LineAsString', 'line String')
        """
    )
    rows = q(sess, "SELECT count() FROM logs")
    size = q(sess, "SELECT sum(bytes_on_disk) FROM system.parts "
                   "WHERE database = 'bench' AND table = 'logs' AND active")
    print("rows", rows)
    print("bytes", size)
    sess.close()


def query(datadir, runs, needle):
    sess = session.Session(datadir)
    sess.query("USE bench")
    queries = [
        ("needle", f"SELECT * FROM logs WHERE hasToken(message, '{needle}') "
                   "ORDER BY time DESC LIMIT 1000", "rows"),
        ("filter", "SELECT count() FROM logs WHERE level = 'error' AND service = 'checkout'",
         "value"),
        ("countby", "SELECT level, count() FROM logs GROUP BY level ORDER BY level", "sum"),
    ]
    for name, sql, kind in queries:
        times = []
        hits = 0
        for _ in range(runs):
            t0 = time.perf_counter()
            out = q(sess, sql)
            times.append((time.perf_counter() - t0) * 1000.0)
            lines = [l for l in out.split("\n") if l]
            if kind == "rows":
                hits = len(lines)
            elif kind == "value":
                hits = int(lines[0]) if lines else 0
            else:
                hits = sum(int(l.split("\t")[1]) for l in lines)
        print(name, hits, " ".join("%.3f" % t for t in times))
    sess.close()


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "ingest":
        ingest(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 5 and sys.argv[1] == "query":
        query(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
