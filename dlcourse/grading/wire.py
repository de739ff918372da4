"""Plain data over a pipe: the only thing that crosses between the grader and a student's kernel.

A message is one frame: an 8-byte length, a JSON header, then the raw bytes of its arrays. The header is a tree of
JSON values in which everything that is not a JSON scalar is tagged: ``{"t": [...]}`` a tuple, ``{"l": [...]}`` a
list, ``{"d": [[key, value], ...]}`` a dict, ``{"a": [blob, dtype, shape]}`` an ndarray, ``{"s": [blob, dtype]}`` a
NumPy scalar. Decoding is strict (known tags, numeric or bool dtypes only, sizes that add up, bounded depth and
size) and builds exact ``np.ndarray`` objects, never subclasses; nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

MAX_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 16
MAX_NODES = 100_000
ARRAY_KINDS = "biufc"  # bool, signed and unsigned ints, floats, complex


class NotPlainData(TypeError):
    """A value is not plain data (numbers, bool, str, None, numeric ndarrays and tuples/lists/dicts of those)."""


def describe(value) -> str:
    """A short name for a value's type, for messages: ``Tensor``, ``ndarray subclass MyArray``, ..."""
    kind = type(value)
    if isinstance(value, np.ndarray) and kind is not np.ndarray:
        return f"ndarray subclass {kind.__name__}"
    return kind.__name__


def _encode(value, blobs: list[bytes], depth: int):
    if depth > MAX_DEPTH:
        raise NotPlainData(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if np.isfinite(value) else {"f": repr(value)}
    if kind is np.ndarray:
        if value.dtype.kind not in ARRAY_KINDS:
            raise NotPlainData(f"an array of dtype {value.dtype} (only numeric or bool arrays)")
        blobs.append(np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"), copy=False).tobytes())
        return {"a": [len(blobs) - 1, value.dtype.newbyteorder("<").str, list(value.shape)]}
    if isinstance(value, np.generic) and kind.__module__ == "numpy" and np.dtype(kind).kind in ARRAY_KINDS:
        blobs.append(np.asarray(value).astype(np.dtype(kind).newbyteorder("<")).tobytes())
        return {"s": [len(blobs) - 1, np.dtype(kind).newbyteorder("<").str]}
    if kind in (tuple, list):
        return {"t" if kind is tuple else "l": [_encode(v, blobs, depth + 1) for v in value]}
    if kind is dict:
        return {"d": [[_encode(k, blobs, depth + 1), _encode(v, blobs, depth + 1)] for k, v in value.items()]}
    raise NotPlainData(describe(value))


def encode(message: dict) -> bytes:
    """One frame for ``message`` (a dict whose values are plain data); raises NotPlainData otherwise."""
    blobs: list[bytes] = []
    tree = {key: _encode(value, blobs, 0) for key, value in message.items()}
    header = json.dumps({"tree": tree, "blobs": [len(b) for b in blobs]}, allow_nan=False).encode()
    body = struct.pack("<Q", len(header)) + header + b"".join(blobs)
    return struct.pack("<Q", len(body)) + body


class BadFrame(ValueError):
    """A frame that does not follow the schema: the other side is broken or lying."""


class _Decoder:
    def __init__(self, blobs: list[memoryview]):
        self.blobs, self.used, self.nodes = blobs, set(), 0

    def blob(self, index) -> memoryview:
        if type(index) is not int or not 0 <= index < len(self.blobs) or index in self.used:
            raise BadFrame("bad blob reference")
        self.used.add(index)
        return self.blobs[index]

    def dtype(self, name) -> np.dtype:
        if type(name) is not str or len(name) > 8:
            raise BadFrame("bad dtype")
        try:
            dtype = np.dtype(name)
        except TypeError:
            raise BadFrame(f"bad dtype {name!r}") from None
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise BadFrame(f"dtype {name!r} is not numeric")
        return dtype

    def value(self, node, depth: int):
        self.nodes += 1
        if depth > MAX_DEPTH + 1 or self.nodes > MAX_NODES:
            raise BadFrame("too deep or too large")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or len(node) != 1:
            raise BadFrame("bad node")
        (tag, body), = node.items()
        if tag in ("t", "l") and type(body) is list:
            items = [self.value(v, depth + 1) for v in body]
            return tuple(items) if tag == "t" else items
        if tag == "d" and type(body) is list:
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise BadFrame("bad dict item")
                key = self.value(pair[0], depth + 1)
                if key is not None and type(key) not in (bool, int, float, str):
                    raise BadFrame("bad dict key")
                out[key] = self.value(pair[1], depth + 1)
            return out
        if tag == "f" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "a" and type(body) is list and len(body) == 3:
            data, dtype, shape = self.blob(body[0]), self.dtype(body[1]), body[2]
            if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
                raise BadFrame("bad shape")
            if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(data):
                raise BadFrame("array size does not match its bytes")
            array = np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
            return np.array(array, copy=True, subok=False)
        if tag == "s" and type(body) is list and len(body) == 2:
            data, dtype = self.blob(body[0]), self.dtype(body[1])
            if len(data) != dtype.itemsize:
                raise BadFrame("bad scalar")
            return np.frombuffer(data, dtype=dtype).astype(dtype.newbyteorder("="))[0]
        raise BadFrame(f"unknown node {tag!r}")


def decode(body: bytes) -> dict:
    """The message in a frame's body (without its length prefix); raises BadFrame on anything off-schema."""
    if len(body) < 8:
        raise BadFrame("short frame")
    (header_length,) = struct.unpack("<Q", body[:8])
    if header_length > len(body) - 8:
        raise BadFrame("bad header length")
    try:
        header = json.loads(body[8:8 + header_length].decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BadFrame("header is not JSON") from None
    if type(header) is not dict or set(header) != {"tree", "blobs"} or type(header["tree"]) is not dict:
        raise BadFrame("bad header")
    sizes = header["blobs"]
    if type(sizes) is not list or any(type(n) is not int or n < 0 for n in sizes):
        raise BadFrame("bad blob sizes")
    if 8 + header_length + sum(sizes) != len(body):
        raise BadFrame("frame size does not match its blobs")
    view, offset, blobs = memoryview(body), 8 + header_length, []
    for size in sizes:
        blobs.append(view[offset:offset + size])
        offset += size
    decoder = _Decoder(blobs)
    return {str(key): decoder.value(value, 0) for key, value in header["tree"].items()}


def send(fd: int, message: dict) -> None:
    """Write one frame to a file descriptor."""
    data = memoryview(encode(message))
    while data:
        data = data[os.write(fd, data):]


def read_exactly(fd: int, count: int) -> bytes:
    """``count`` bytes from ``fd``; raises EOFError when the other side closed first."""
    chunks, left = [], count
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(fd: int) -> dict:
    """Read and decode one frame (blocking)."""
    (length,) = struct.unpack("<Q", read_exactly(fd, 8))
    if length > MAX_BYTES:
        raise BadFrame(f"frame of {length} bytes is over the limit")
    return decode(read_exactly(fd, length))
