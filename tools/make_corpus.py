"""Rebuild dlcourse/data/files/austen_pride_and_prejudice.txt.gz from Debian's r-cran-janeaustenr package.

Recipe (no R needed):

    apt-get download r-cran-janeaustenr          # r-cran-janeaustenr_1.0.0-1_all.deb (Debian bookworm)
    dpkg-deb -x r-cran-janeaustenr_1.0.0-1_all.deb deb
    python tools/make_corpus.py deb/usr/lib/R/site-library/janeaustenr/data/Rdata

The R package keeps each novel as a character vector (one element per printed line) in an R lazy-load database:
``Rdata.rdx`` is a gzipped serialized index (object name -> byte offset and length in ``Rdata.rdb``) and each
``Rdata.rdb`` record is a 4-byte big-endian length followed by a zlib stream holding one serialized R object (R's
XDR serialization format, version 2 or 3). This script reads that format directly (the few object types the data
uses), joins the lines of Pride and Prejudice with newlines and writes them gzipped with a fixed timestamp, so the
output is byte-for-byte reproducible.

The novel (1813) is in the public domain; the text is the Project Gutenberg edition that janeaustenr (MIT licence,
Julia Silge) packages.
"""

from __future__ import annotations

import argparse
import gzip
import struct
import zlib
from pathlib import Path

NOVEL = "prideprejudice"
OUT = Path(__file__).resolve().parents[1] / "dlcourse" / "data" / "files" / "austen_pride_and_prejudice.txt.gz"


class _Reader:
    """A minimal reader of R's XDR serialization: enough for character vectors, lists and pairlists."""

    def __init__(self, data: bytes):
        if data[:2] != b"X\n":
            raise ValueError(f"expected R XDR serialization (starts with b'X\\n'), got {data[:2]!r}")
        self.data, self.pos, self.refs = data, 2, []
        version = self.int()
        self.int(), self.int()  # R version that wrote it, minimal version that reads it
        if version == 3:
            length = self.int()  # then the native encoding's name, which we skip
            self.pos += length

    def int(self) -> int:
        (value,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return value

    def read(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if kind == 254:  # NULL
            return None
        if kind == 255:  # reference to an earlier symbol
            return self.refs[(flags >> 8) - 1]
        if kind == 1:  # symbol: its name follows as a CHARSXP
            name = self.read()
            self.refs.append(name)
            return name
        if kind == 9:  # CHARSXP: a string (length -1 is NA)
            length = self.int()
            if length == -1:
                return None
            text = self.data[self.pos:self.pos + length].decode("utf-8" if flags & (1 << 15) else "latin-1")
            self.pos += length
            return text
        if kind == 2:  # pairlist cell: attributes?, tag?, head, tail
            attr = self.read() if has_attr else None
            tag = self.read() if has_tag else None
            head = self.read()
            tail = self.read()
            del attr
            return [(tag, head)] + (tail or [])
        if kind in (10, 13, 14, 16, 19):  # logical, integer, real, character, list
            length = self.int()
            if kind in (10, 13):
                values = list(struct.unpack_from(f">{length}i", self.data, self.pos))
                self.pos += 4 * length
            elif kind == 14:
                values = list(struct.unpack_from(f">{length}d", self.data, self.pos))
                self.pos += 8 * length
            else:
                values = [self.read() for _ in range(length)]
            attributes = dict(self.read()) if has_attr else {}
            if "names" in attributes:
                return dict(zip(attributes["names"], values, strict=True))
            return values
        raise ValueError(f"R object type {kind} is not supported by this small reader")


def read_lazy_load(base: Path, name: str):
    """Read object ``name`` from the lazy-load database ``base``.rdx / ``base``.rdb."""
    index = _Reader(gzip.decompress(Path(f"{base}.rdx").read_bytes())).read()
    offset, length = index["variables"][name]
    record = Path(f"{base}.rdb").read_bytes()[offset:offset + length]
    return _Reader(zlib.decompress(record[4:])).read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="path to janeaustenr's data/Rdata (without .rdx/.rdb)")
    args = parser.parse_args()
    lines = read_lazy_load(args.base, NOVEL)
    text = "\n".join(line or "" for line in lines).strip() + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{NOVEL}: {len(lines)} lines, {len(text)} characters -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
