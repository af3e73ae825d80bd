"""Photos, voice notes and files a client sends: checked, kept, described in words.

A client photographs a rash, records a voice note, shares where they are. What they send is
kept with their message (under the data folder, ``AFTERCARE_DATA_DIR/attachments``, or any
storage Django's ``STORAGES["default"]`` names) and shown on their thread; a message that is
only a photo reads "sent a photo" and is flagged for a person, since triage cannot read it.

Checks, in order (pure functions, no Django):

1. Size: at most ``MAX_ATTACHMENT_BYTES`` (25 MB, a phone photo or a minute of voice).
2. Type: the declared content type must be one we keep (images, PDFs, audio, vCards); for
   images, PDFs and audio the first bytes must say the same ("magic numbers"), so a program
   renamed ``photo.jpg`` is not stored as a photo.

A file that fails is still listed with its name, size and the reason ("too large: 31 MB, at
most 25 MB"), never silently dropped, but its bytes are not kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

# Content types kept, by what a person would call them.
KINDS = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/gif": "photo",
    "image/webp": "photo",
    "image/heic": "photo",
    "image/heif": "photo",
    "application/pdf": "PDF",
    "audio/ogg": "voice note",
    "audio/mpeg": "voice note",
    "audio/mp4": "voice note",
    "audio/aac": "voice note",
    "audio/amr": "voice note",
    "audio/wav": "voice note",
    "audio/x-wav": "voice note",
    "audio/webm": "voice note",
    "text/vcard": "contact card",
    "text/x-vcard": "contact card",
}


def _ftyp(data: bytes, *brands: bytes) -> bool:
    return data[4:8] == b"ftyp" and (not brands or data[8:12] in brands)


MAGIC = {
    "image/jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    "image/png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/gif": lambda d: d[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda d: d.startswith(b"RIFF") and d[8:12] == b"WEBP",
    "image/heic": lambda d: _ftyp(d, b"heic", b"heix", b"mif1", b"msf1", b"heif"),
    "image/heif": lambda d: _ftyp(d, b"heic", b"heix", b"mif1", b"msf1", b"heif"),
    "application/pdf": lambda d: d.lstrip()[:5] == b"%PDF-",
    "audio/ogg": lambda d: d.startswith(b"OggS"),
    "audio/mpeg": lambda d: (
        d.startswith(b"ID3") or d[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    ),
    "audio/mp4": lambda d: _ftyp(d),
    "audio/amr": lambda d: d.startswith(b"#!AMR"),
    "audio/wav": lambda d: d.startswith(b"RIFF") and d[8:12] == b"WAVE",
    "audio/x-wav": lambda d: d.startswith(b"RIFF") and d[8:12] == b"WAVE",
    "audio/webm": lambda d: d.startswith(b"\x1a\x45\xdf\xa3"),
}


@dataclass(frozen=True)
class IncomingFile:
    """A file as it arrived: from a MIME part, a webhook upload or Twilio's media URL."""

    name: str
    content_type: str
    data: bytes
    unreachable: str = ""  # why the bytes could not be fetched (Twilio media), if so


@dataclass(frozen=True)
class Checked:
    """An incoming file after the checks: ``refused`` says why its bytes are not kept."""

    name: str
    content_type: str
    size: int
    refused: str = ""

    @property
    def kind(self) -> str:
        return KINDS.get(self.content_type, "file")


# Shown in the browser (images, PDFs, audio); everything else is downloaded.
INLINE_TYPES = frozenset(t for t in KINDS if not t.startswith("text/"))


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def check_attachment(name: str, content_type: str, data: bytes, unreachable: str = "") -> Checked:
    """Steps 1–2 of the module docstring."""
    declared = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    declared = declared.replace("\x00", "")[:100]
    name = (name or "attachment").replace("/", "_").replace("\\", "_").replace("\x00", "")[:200]
    size = len(data)
    if unreachable:
        return Checked(name, declared, 0, unreachable[:200])
    if size > MAX_ATTACHMENT_BYTES:
        refused = f"too large: {megabytes(size)}, at most {megabytes(MAX_ATTACHMENT_BYTES)}"
        return Checked(name, declared, size, refused)
    if declared not in KINDS:
        return Checked(name, declared, size, f"not a kind of file we keep ({declared})")
    magic = MAGIC.get(declared)
    if magic is not None and not magic(data[:64]):
        return Checked(name, declared, size, f"its content is not a {declared} file")
    return Checked(name, declared, size)


def describe(kinds: Iterable[str]) -> str:
    """ "sent a photo", "sent 2 photos and a voice note": what a person reads in the thread."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return ""
    parts = []
    for kind, count in counts.items():
        if kind == "location":
            parts.append("shared a location" if not parts else "a location")
            continue
        plural = kind if kind.endswith("s") or (kind == "PDF" and count == 1) else f"{kind}s"
        parts.append(f"a {kind}" if count == 1 else f"{count} {plural}")
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return joined if joined.startswith("shared") else f"sent {joined}"
