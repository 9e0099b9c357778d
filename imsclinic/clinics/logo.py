"""The clinic's logo: checked and re-encoded on upload, read back for pages and PDFs.

Only PNG and JPEG are accepted, up to 1 MB and 25 megapixels (a decompression bomb is refused
before it is decoded). The image is decoded by Pillow and written again as a fresh PNG at most
800 × 400 pixels, so whatever else the upload carried (metadata, a second file appended to it,
a script disguised as an image) is not kept. SVG is refused: it is a document that can carry
scripts and links, and its safety would rest on a sanitiser; a clinic exports a PNG instead.
"""

import base64
import hashlib
import io
import warnings

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 1024 * 1024
MAX_PIXELS = 25_000_000
BOX = (800, 400)
ACCEPTED_FORMATS = {"PNG", "JPEG"}
FOLDER = "clinic-logos"


class LogoError(Exception):
    """An upload refused, with a message for the person who sent it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise(data: bytes) -> bytes:
    """The upload as a clean PNG, or LogoError saying what is wrong with it."""
    if not data:
        raise LogoError("The file is empty. Choose a PNG or JPEG image.")
    if len(data) > MAX_BYTES:
        raise LogoError("The logo is larger than 1 MB. Save a smaller PNG or JPEG.")
    head = data[:1024].lstrip().lower()
    if head.startswith(b"<") or b"<svg" in head:
        raise LogoError(
            "SVG logos are not accepted (an SVG file can carry scripts). "
            "Export the logo as PNG and upload that."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise LogoError("Upload the logo as a PNG or JPEG image.")
            if image.width * image.height > MAX_PIXELS:
                raise LogoError("The image is too large in pixels. Save it at most 5000 wide.")
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning) as exc:
        raise LogoError("That file is not a PNG or JPEG image we can read.") from exc
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA")
    image.thumbnail(BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def store(clinic, png: bytes) -> str:
    """Write the PNG to the default storage under a name that changes with its content."""
    digest = hashlib.sha256(png).hexdigest()[:16]
    return default_storage.save(f"{FOLDER}/{clinic.uuid}-{digest}.png", ContentFile(png))


def delete_quietly(name: str) -> None:
    """Remove a stored logo that nothing points at any more (after the change committed)."""
    if name and default_storage.exists(name):
        default_storage.delete(name)


def read(clinic) -> bytes:
    with default_storage.open(clinic.logo.name, "rb") as handle:
        return handle.read()


def data_uri(clinic) -> str:
    """The logo inlined for a PDF (the PDF renderer fetches nothing from the network)."""
    return "data:image/png;base64," + base64.b64encode(read(clinic)).decode()
