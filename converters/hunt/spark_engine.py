"""Hunt with Spark SQL: the same rule and pipelines, read and evaluated by a Spark cluster.

Spark reads the files itself with an explicit schema built from the fields the query
reads, so a field absent from every record is NULL rather than an analysis error, and a
value of another JSON type is read as its text. Malformed JSON lands in a corrupt-record
column and is reported per file; files Spark cannot decompress are skipped by Spark
(``spark.sql.files.ignoreCorruptFiles``) and reported because no row came from them.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from isal import igzip

from ..errors import EventsError, ToolkitError
from ..rules import LoadedRule
from ..sql import SqlQuery, convert_sql
from .duckdb_engine import field_tree
from .reader import GZIP_ERRORS, GZIP_MAGIC, LINE_SUFFIXES, NOT_CLOUDTRAIL, Skip, hunt_files
from .run import DEFAULT_OPTIONS, HuntOptions, HuntResult

# Master URL forms that spark-submit documents.
SPARK_MASTER_PATTERN = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?|spark://\S+|yarn|k8s://\S+")

DEFAULT_MASTER = "local[*]"
FILE_COLUMN = "_hunt_file"
CORRUPT_COLUMN = "_corrupt_record"
INPUT_VIEW = "cloudtrail"
WRAPPER_FIELD = "event"
# Bytes read from the start of a file to tell a {"Records": [...]} document, a JSON
# array and NDJSON apart.
PEEK_BYTES = 4096


def spark_session(master: str = DEFAULT_MASTER) -> Any:
    """Return the Spark session for master, starting one if none runs."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise ToolkitError(
            "ENGINE=spark needs PySpark, which is not installed. Run `make install`, "
            "or `pip install 'cloudtrail-sigma-toolkit[spark]'`."
        ) from error
    if not SPARK_MASTER_PATTERN.fullmatch(master):
        raise ToolkitError(
            f"invalid SPARK_MASTER {master!r}: use local, local[N], local[*], spark://HOST:PORT, "
            "yarn or k8s://URL."
        )
    builder = (
        SparkSession.builder.master(master)
        .appName("cloudtrail-sigma-hunt")
        .config("spark.ui.enabled", "false")
        # Spark's own progress bar on a terminal, stage by stage; none in logs and tests.
        .config("spark.ui.showConsoleProgress", str(sys.stderr.isatty()).lower())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.files.ignoreCorruptFiles", "true")
    )
    if master.startswith("local"):
        # Keep a local run on the loopback interface.
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    try:
        session = builder.getOrCreate()
    # PySpark raises its own runtime errors and Py4J errors for a bad or unreachable
    # master; none share a base class narrower than Exception.
    except Exception as error:
        text = str(error).strip()
        first_line = text.splitlines()[0].rstrip(".") if text else type(error).__name__
        raise ToolkitError(
            f"cannot start Spark with SPARK_MASTER={master!r}: {first_line}. Use 'local[*]', or "
            "a spark://HOST:PORT master that this machine can reach."
        ) from error
    session.sparkContext.setLogLevel("ERROR")
    return session


def record_schema(fields: Iterable[str]) -> Any:
    """Return the Spark schema of the CloudTrail fields a query reads, all leaves strings."""
    from pyspark.sql.types import StringType, StructField, StructType

    def build(tree: dict[str, Any]) -> StructType:
        return StructType(
            [
                StructField(key, StringType() if child is None else build(child), True)
                for key, child in tree.items()
            ]
        )

    return build(field_tree(list(fields)))


def classify(path: Path) -> str:
    """Return how Spark must read a file: "records", "document" or "lines"."""
    # TODO: this reads the start of every file on this machine, so LOGS must be a local or
    # shared file system path that the cluster's executors can also read; s3a:// URLs fail.
    if path.name.removesuffix(".gz").endswith(LINE_SUFFIXES):
        return "lines"
    with path.open("rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        stream = igzip.GzipFile(fileobj=raw) if head == GZIP_MAGIC else raw
        start = stream.read(PEEK_BYTES).lstrip()
    if start.startswith(b"["):
        return "document"
    compact = start.replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    if compact.startswith(b'{"Records":'):
        return "records"
    return "lines"


def hunt_spark(
    rule: LoadedRule,
    paths: list[Path],
    options: HuntOptions = DEFAULT_OPTIONS,
    master: str = DEFAULT_MASTER,
) -> HuntResult:
    """Run rule over every CloudTrail file under paths with Spark SQL."""
    started = time.perf_counter()
    query = convert_sql(rule, "spark")
    files = hunt_files(paths)
    result = HuntResult("spark", output_fields=query.output_fields, files=len(files))
    kinds: dict[str, list[Path]] = {"records": [], "document": [], "lines": []}
    for path in files:
        try:
            kinds[classify(path)].append(path)
        except GZIP_ERRORS as error:
            result.skipped.append(Skip(str(path), f"corrupt gzip data ({error})"))
    spark = spark_session(master)
    frames: list[Any] = []
    try:
        seen = _read_frames(spark, query, kinds, result, frames)
        if frames:
            _run_query(spark, query, frames, result)
    finally:
        for frame in frames:
            frame.unpersist()
    _report_unread(kinds, seen, result)
    _use_given_paths(files, result)
    if options.strict and result.skipped:
        skip = result.skipped[0]
        raise EventsError(
            f"{skip.source}: {skip.reason}. Fix the input, or run without STRICT=1 to skip it."
        )
    result.seconds = time.perf_counter() - started
    return result


def _read_frames(
    spark: Any, query: SqlQuery, kinds: dict[str, list[Path]], result: HuntResult, frames: list[Any]
) -> set[str]:
    """Read each kind of file into a persisted frame of records; return the files that gave rows."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    schema = record_schema(query.fields)
    corrupt = StructField(CORRUPT_COLUMN, StringType(), True)
    seen: set[str] = set()
    if kinds["records"]:
        document = StructType([StructField("Records", ArrayType(schema), True), corrupt])
        docs = _read(spark, document, kinds["records"], multiline=True).persist()
        frames.append(docs)
        seen |= _report_documents(docs, result)
        frames.append(
            docs.select(FILE_COLUMN, F.explode("Records").alias("r")).select(FILE_COLUMN, "r.*")
        )
    for kind, multiline in (("document", True), ("lines", False)):
        if kinds[kind]:
            fields = [*schema.fields]
            if WRAPPER_FIELD not in schema.fieldNames():
                fields.append(StructField(WRAPPER_FIELD, schema, True))
            rows = _read(
                spark, StructType([*fields, corrupt]), kinds[kind], multiline=multiline
            ).persist()
            frames.append(rows)
            seen |= _report_corrupt_rows(rows, result)
            frames.append(_unwrap(rows.where(F.col(CORRUPT_COLUMN).isNull()), schema.fieldNames()))
    return seen


def _unwrap(rows: Any, names: list[str]) -> Any:
    """Replace test-event wrappers such as Panther's {"test_name": ..., "event": {...}} by their event."""
    from pyspark.sql import functions as F

    if WRAPPER_FIELD in names:
        return rows.select(FILE_COLUMN, *names)
    direct = F.col("eventSource").isNotNull() & F.col("eventName").isNotNull()
    inner = (
        F.col(f"{WRAPPER_FIELD}.eventSource").isNotNull()
        & F.col(f"{WRAPPER_FIELD}.eventName").isNotNull()
    )
    wrapped = ~direct & inner
    plain = rows.where(~wrapped).select(FILE_COLUMN, *names)
    return plain.unionByName(rows.where(wrapped).select(FILE_COLUMN, f"{WRAPPER_FIELD}.*"))


def _read(spark: Any, schema: Any, paths: list[Path], multiline: bool) -> Any:
    from pyspark.sql import functions as F

    frame = (
        spark.read.schema(schema)
        .option("multiLine", multiline)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_COLUMN)
        .json([str(path) for path in paths])
    )
    return frame.withColumn(FILE_COLUMN, F.col("_metadata.file_path"))


def _report_documents(docs: Any, result: HuntResult) -> set[str]:
    from pyspark.sql import functions as F

    per_file = docs.groupBy(FILE_COLUMN).agg(
        F.max(F.col(CORRUPT_COLUMN).isNotNull()).alias("corrupt"),
        F.max(F.col("Records").isNull()).alias("missing"),
    )
    seen = set()
    for row in per_file.collect():
        source = _local_path(row[FILE_COLUMN])
        seen.add(source)
        if row["corrupt"]:
            # Spark also lands a document here whose Records is not an array.
            result.skipped.append(
                Skip(source, "invalid JSON or Records not an array (truncated or corrupt)")
            )
        elif row["missing"]:
            result.skipped.append(Skip(source, "not CloudTrail: a JSON object without Records"))
    return seen


def _report_corrupt_rows(rows: Any, result: HuntResult) -> set[str]:
    from pyspark.sql import functions as F

    per_file = rows.groupBy(FILE_COLUMN).agg(
        F.sum(F.col(CORRUPT_COLUMN).isNotNull().cast("int")).alias("corrupt")
    )
    seen = set()
    for row in per_file.collect():
        source = _local_path(row[FILE_COLUMN])
        seen.add(source)
        result.skipped += [Skip(source, "invalid JSON")] * row["corrupt"]
    return seen


def _run_query(spark: Any, query: SqlQuery, frames: list[Any], result: HuntResult) -> None:
    from pyspark.sql import functions as F

    # _read_frames appends pairs: a persisted read, then the records taken from it.
    record_frames = frames[1::2]
    records = record_frames[0]
    for frame in record_frames[1:]:
        records = records.unionByName(frame)
    valid = F.col("eventSource").isNotNull() & F.col("eventName").isNotNull()
    for row in records.groupBy(FILE_COLUMN, valid.alias("valid")).count().collect():
        if row["valid"]:
            result.records += row["count"]
        else:
            result.skipped += [Skip(_local_path(row[FILE_COLUMN]), NOT_CLOUDTRAIL)] * row["count"]
    records.where(valid).createOrReplaceTempView(INPUT_VIEW)
    outputs = ", ".join(_output_column(name) for name in query.output_fields)
    statement = f"SELECT {FILE_COLUMN}, {outputs} FROM (\n{query.text}\n) AS hunt_matches"
    rows = spark.sql(statement).collect()
    result.evaluated = result.records
    names = query.output_fields
    result.matches = [
        {**{name: row[i + 1] for i, name in enumerate(names)}, "file": _local_path(row[0])}
        for row in rows
    ]


def _output_column(field: str) -> str:
    return ".".join(f"`{part}`" for part in field.split(".")) + f" AS `{field}`"


def _report_unread(kinds: dict[str, list[Path]], seen: set[str], result: HuntResult) -> None:
    # Spark skips a file it cannot decompress (ignoreCorruptFiles) without an error, so
    # a file that gave no row at all is reported here.
    for paths in kinds.values():
        for path in paths:
            if str(path.resolve()) not in seen:
                result.skipped.append(
                    Skip(str(path), "no data read: corrupt gzip data or an empty file")
                )


def _use_given_paths(files: list[Path], result: HuntResult) -> None:
    # Spark reports absolute file URIs; show paths as the user gave them, as DuckDB does.
    as_given = {str(path.resolve()): str(path) for path in files}
    for match in result.matches:
        match["file"] = as_given.get(match["file"], match["file"])
    result.skipped = [
        Skip(as_given.get(skip.source, skip.source), skip.reason) for skip in result.skipped
    ]


def _local_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri
