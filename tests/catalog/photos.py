"""Photo files for upload tests: good ones, hostile ones, and ones that carry metadata.

The heavy ones are built once per run (they are only read, never changed).
"""

import struct
import zlib
from functools import cache
from io import BytesIO
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from PIL import PngImagePlugin

from tests.factories import image_bytes

MAKE, MODEL, ORIENTATION, GPS_IFD = 0x010F, 0x0110, 0x0112, 0x8825
# Finca in Anorí, Antioquia: what a careless upload would tell the whole internet.
GPS = {1: "N", 2: (7.0, 4.0, 30.0), 3: "W", 4: (75.0, 8.0, 45.0)}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Maria Campesina"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
COMMENT = b"Finca La Esperanza, vereda El Roble"
# Byte strings that must never reach a stored file once metadata is stripped.
SECRETS = (b"Canon", b"EOS 80D", b"Maria Campesina", b"Finca La Esperanza", b"xmpmeta")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def png_bytes(size=(8, 8), mode="RGB") -> bytes:
    buffer = BytesIO()
    PILImage.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def not_an_image() -> bytes:
    return b"Lista de precios: yuca 2500, platano 1800.\n" * 20


def truncated_jpeg() -> bytes:
    """A real JPEG cut off half-way, as a dropped mobile connection leaves it."""
    whole = image_bytes(size=(320, 240))
    return whole[: len(whole) // 2]


@cache
def over_10_mb_jpeg() -> bytes:
    """A real JPEG header and picture followed by junk: 11 MB on the wire."""
    return image_bytes(size=(640, 480)) + bytes(11 * 1024 * 1024)


@cache
def over_40_megapixel_png() -> bytes:
    """7000 x 6000 = 42 megapixels of one grey: small on disk, too big to decode."""
    buffer = BytesIO()
    PILImage.new("L", (7000, 6000), 128).save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def decompression_bomb_png() -> bytes:
    """A valid 20000 x 20000 (400 megapixel) black-and-white PNG of a few dozen kilobytes."""
    width = height = 20_000
    row = b"\x00" + bytes(width // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row * 1000) for _ in range(height // 1000)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def exif_with_gps(**tags) -> PILImage.Exif:
    exif = PILImage.Exif()
    exif[MAKE] = "Canon"
    exif[MODEL] = "EOS 80D"
    exif.get_ifd(GPS_IFD).update(GPS)
    for tag, value in tags.items():
        exif[int(tag)] = value
    return exif


def jpeg_with_metadata(size=(120, 90)) -> bytes:
    """A phone photo as phones send them: EXIF with camera and GPS, XMP, and a comment."""
    buffer = BytesIO()
    PILImage.new("RGB", size, (90, 140, 60)).save(
        buffer, format="JPEG", exif=exif_with_gps(), xmp=XMP, comment=COMMENT
    )
    return buffer.getvalue()


def png_with_metadata(size=(120, 90)) -> bytes:
    """A PNG with an eXIf chunk (camera and GPS) and text chunks naming the farm."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", COMMENT.decode())
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buffer = BytesIO()
    PILImage.new("RGB", size, (90, 140, 60)).save(buffer, format="PNG", exif=exif_with_gps(), pnginfo=info)
    return buffer.getvalue()


def sideways_jpeg() -> bytes:
    """A 60 x 40 photo, red on the left and blue on the right, that a phone held upright
    saved with EXIF orientation 6 (display rotated 90 degrees clockwise)."""
    picture = PILImage.new("RGB", (60, 40), (220, 20, 20))
    picture.paste((20, 20, 220), (30, 0, 60, 40))
    buffer = BytesIO()
    picture.save(buffer, format="JPEG", quality=95, exif=exif_with_gps(**{str(ORIENTATION): 6}))
    return buffer.getvalue()


def assert_no_metadata(path: Path) -> None:
    """The file at `path` has pixels and nothing that says who, where or with what."""
    content = path.read_bytes()
    for secret in SECRETS:
        assert secret not in content, f"{path.name} still contains {secret!r}"
    with PILImage.open(path) as picture:
        exif = picture.getexif()
        assert GPS_IFD not in exif
        assert not exif.get_ifd(GPS_IFD)
        assert MAKE not in exif and MODEL not in exif
        assert ORIENTATION not in exif
        assert not {"exif", "xmp", "comment", "Comment", "XML:com.adobe.xmp"} & set(picture.info)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())
