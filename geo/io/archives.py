"""Safe ZIP archives: entry count, unpacked size, ratio, paths and encryption checked before unpacking."""

from __future__ import annotations

import io
import lzma
import re
import zipfile
import zlib
from pathlib import Path
from typing import Final

from geo import settings
from geo._errors import DataError
from geo.io.text import _fmt_int

#: What opening or unpacking a damaged archive raises (zlib.error: a broken deflate stream; bz2 and lzma raise
#: OSError or LZMAError; an unknown compression method NotImplementedError).
_UNPACK_ERRORS: Final[tuple[type[Exception], ...]] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, ValueError,
    NotImplementedError, RuntimeError, KeyError, OverflowError,
)


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """Open a ZIP archive after checking, without extracting anything, that it is safe to unpack.

    Refuses a broken archive, more than :data:`geo.settings.MAX_ZIP_FILES` entries, more than
    :data:`geo.settings.MAX_UNPACKED_BYTES` unpacked, absolute paths or ``..`` components, and encrypted entries.
    The limits are read at call time.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except _UNPACK_ERRORS as err:
        raise DataError(
            f"Die ZIP-Datei „{name}“ ist beschädigt oder unvollständig und lässt sich nicht öffnen. "
            "Bitte packen Sie die Dateien neu und laden Sie sie noch einmal hoch."
        ) from err
    try:
        if len(infos) > settings.MAX_ZIP_FILES:
            raise DataError(
                f"Die ZIP-Datei „{name}“ enthält {_fmt_int(len(infos))} Dateien; erlaubt sind höchstens "
                f"{settings.MAX_ZIP_FILES}. Bitte packen Sie nur die benötigten Dateien ein."
            )
        total = sum(info.file_size for info in infos)
        if total > settings.MAX_UNPACKED_BYTES:
            raise DataError(
                f"Die ZIP-Datei „{name}“ wäre entpackt {total / 1024**2:,.0f} MB groß; erlaubt sind höchstens "
                f"{settings.MAX_UNPACKED_BYTES / 1024**2:,.0f} MB.".replace(",", ".")
            )
        ratio = total / max(len(data), 1)
        if total > settings.COMPRESSION_RATIO_FROM_BYTES and ratio > settings.MAX_COMPRESSION_RATIO:
            raise DataError(
                f"Die ZIP-Datei „{name}“ wäre entpackt {total / 1024**2:,.0f} MB groß, {ratio:,.0f}-mal so groß "
                f"wie gepackt (üblich ist höchstens das {settings.MAX_COMPRESSION_RATIO}-Fache). So etwas enthält "
                "keine gewöhnliche Shapefile oder Arbeitsmappe; aus Sicherheitsgründen wird sie nicht entpackt. "
                "Bitte packen Sie nur die benötigten Dateien neu ein.".replace(",", ".")
            )
        for info in infos:
            path = info.filename
            parts = re.split(r"[\\/]+", path)
            if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or ".." in parts:
                raise DataError(
                    f"Die ZIP-Datei „{name}“ enthält einen unzulässigen Pfad („{path}“: absolut oder mit „..“). "
                    "Aus Sicherheitsgründen wird sie nicht entpackt; bitte packen Sie die Dateien ohne Ordnerpfade neu."
                )
            if info.flag_bits & 0x1:
                raise DataError(f"Die ZIP-Datei „{name}“ ist passwortgeschützt; bitte ohne Passwort packen.")
    except DataError:
        archive.close()
        raise
    return archive


def _extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: list[int], target: Path
) -> None:
    """Unpack one entry to ``target`` in chunks, counting real (not declared) unpacked bytes against the budget."""
    try:
        with archive.open(info) as stream, target.open("wb") as out:
            while chunk := stream.read(1 << 20):
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise DataError(
                        f"Die ZIP-Datei „{name}“ wäre entpackt größer als "
                        f"{settings.MAX_UNPACKED_BYTES // 1024**2} MB und wird nicht entpackt."
                    )
                out.write(chunk)
    except DataError:
        raise
    except _UNPACK_ERRORS as err:
        raise DataError(
            f"Die ZIP-Datei „{name}“ ist beschädigt: „{info.filename}“ lässt sich nicht entpacken. Bitte packen Sie "
            "die Dateien neu und laden Sie sie noch einmal hoch."
        ) from err
