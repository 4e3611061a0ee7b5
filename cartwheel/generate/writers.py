"""Byte-exact, deterministic writers: REES46 CSV and JSON Lines, gzip-compressed.

Gzip headers carry no file name and mtime 0, so the same input gives the same bytes. The
REES46 columns are built as Arrow arrays without Python loops: fixed-width timestamps and
session UUIDs from numpy byte arithmetic, per-product strings as dictionary arrays.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from cartwheel.generate.calendar import SECONDS_PER_DAY, Month

REES46_COLUMNS = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)
GZIP_LEVEL = 6
CSV_CHUNK_ROWS = 262_144
HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


@contextmanager
def gzip_writer(path: Path) -> Iterator[gzip.GzipFile]:
    """A deterministic gzip stream (no name, mtime 0) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=raw, mtime=0
        ) as stream,
    ):
        yield stream


def two_digits(out: np.ndarray, column: int, values: np.ndarray) -> None:
    out[:, column] = DIGITS[values // 10]
    out[:, column + 1] = DIGITS[values % 10]


def event_times(time: np.ndarray, month: Month) -> pa.Array:
    """`YYYY-MM-DD HH:MM:SS UTC` strings for epoch seconds inside `month`."""
    offset = time - month.start
    day, second = offset // SECONDS_PER_DAY, offset % SECONDS_PER_DAY
    prefix = f"{month.label}-".encode()
    out = np.empty((len(time), 23), dtype=np.uint8)
    out[:, :8] = np.frombuffer(prefix, dtype=np.uint8)
    two_digits(out, 8, day + 1)
    out[:, 10] = ord(" ")
    two_digits(out, 11, second // 3600)
    out[:, 13] = ord(":")
    two_digits(out, 14, second // 60 % 60)
    out[:, 16] = ord(":")
    two_digits(out, 17, second % 60)
    out[:, 19:] = np.frombuffer(b" UTC", dtype=np.uint8)
    return fixed_width_strings(out)


def fixed_width_strings(rows: np.ndarray) -> pa.Array:
    """An Arrow string array from an (n, width) uint8 array of ASCII rows."""
    n, width = rows.shape
    buffer = pa.py_buffer(np.ascontiguousarray(rows))
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, buffer]).cast(
        pa.string()
    )


def session_uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Random version-4 UUID strings."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    chars = HEX_DIGITS[nibbles]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for lo, hi, src in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        out[:, lo:hi] = chars[:, src : src + hi - lo]
    return fixed_width_strings(out)


def price_strings(prices: np.ndarray) -> pa.Array:
    """Prices with exactly two decimals, as REES46 writes them."""
    return pa.array(np.char.mod("%.2f", prices))


def dictionary(indices: np.ndarray, values: pa.Array) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int32()), values)


def write_csv_table(stream: gzip.GzipFile, table: pa.Table) -> None:
    """Header once, then unquoted CSV rows in chunks (REES46 never quotes)."""
    stream.write((",".join(table.column_names) + "\n").encode())
    options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
    for start in range(0, table.num_rows, CSV_CHUNK_ROWS):
        buffer = io.BytesIO()
        pa_csv.write_csv(table.slice(start, CSV_CHUNK_ROWS), buffer, options)
        stream.write(buffer.getbuffer())


def write_jsonl(path: Path, records: Iterable[dict[str, object]]) -> int:
    """Write records as gzipped JSON Lines; returns the number of lines."""
    count = 0
    with gzip_writer(path) as stream:
        lines = []
        for record in records:
            lines.append(json.dumps(record, ensure_ascii=False))
            count += 1
            if len(lines) >= 10_000:
                stream.write(("\n".join(lines) + "\n").encode())
                lines = []
        if lines:
            stream.write(("\n".join(lines) + "\n").encode())
    return count


def write_events_csv(path: Path, table: pa.Table) -> None:
    with gzip_writer(path) as stream:
        write_csv_table(stream, table)
