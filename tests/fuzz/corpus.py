"""The bad inputs every upload path and every free-text input is fed: random bytes, huge sizes, files that start
like the real thing and then are not, odd encodings, control characters, markup. Deterministic (seeded)."""
from __future__ import annotations

import io
import pickle
import random
import zipfile

_rng = random.Random(20261126)


def _random(n: int) -> bytes:
    return bytes(_rng.getrandbits(8) for _ in range(n)) if n < 100_000 else _rng.randbytes(n)


class Payload:
    """Unpickling this would run code (it never may)."""

    def __reduce__(self):
        return (print, ("pwned",))


def _zip_with(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(name, data)
    return buffer.getvalue()


BAD_FILES: dict[str, bytes] = {
    "empty": b"",
    "one byte": b"\x00",
    "random 1 kB": _random(1_000),
    "random 200 kB": _random(200_000),
    "NUL bytes": b"\x00" * 50_000,
    "PNG header then junk": b"\x89PNG\r\n\x1a\n" + _random(2_000),
    "JPEG header then junk": b"\xff\xd8\xff\xe0" + _random(2_000),
    "GIF header then junk": b"GIF89a" + _random(500),
    "zip (torch) header then junk": b"PK\x03\x04" + _random(2_000),
    "a zip of something else": _zip_with("archive/data.pkl", b"not a pickle"),
    "a pickle that runs code": pickle.dumps(Payload()),
    "UTF-16 text with a BOM": "hello world, the quick brown fox\n".encode("utf-16") * 40,
    "Latin-1 text": ("café naïve façade " * 800).encode("latin-1"),
    "control characters": bytes(range(32)) * 400,
    "HTML": b"<html><script>alert(1)</script></html>" * 300,
}

HUGE = _random(6_000_000)  # over every per-kind limit except the 20 MB image limit and the checkpoint limit

BAD_TEXTS: dict[str, str] = {
    "empty": "",
    "spaces": "   \t  ",
    "one newline": "\n",
    "control characters": "".join(map(chr, range(32))) + "\x7f\x1b[31mred\x1b[0m",
    "NUL": "\x00" * 100,
    "emoji": "🙂🚀🧠" * 50,
    "combining marks": "e\u0301" * 100 + "Z\u0336\u0337\u0338" * 30,
    "right-to-left": "\u202eolleh \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "a lone surrogate": "abc\ud800def",
    "HTML": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "Markdown": "**bold** [link](javascript:alert(1)) :red[red] $x^2$ `code` # heading",
    "long": "what shape is it? " * 600,
    "huge": "a" * 1_000_000,
}
