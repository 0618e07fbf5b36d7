"""App bundles (tar.gz, as the capture uploads them) put into the artifacts bucket for tests."""

from __future__ import annotations

import io
import tarfile
from typing import Any


def bundle_bytes(files: dict[str, str]) -> bytes:
    """A tar.gz of ``files`` with ``./`` names, as ``tar -C dir -czf - .`` writes them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"./{name}")
            info.size, info.mode = len(data), 0o755 if name.endswith(".sh") else 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def put_bundle(s3: Any, bucket: str, files: dict[str, str], key: str) -> str:
    """Upload a bundle of ``files`` to ``bucket``/``key``; return the key."""
    s3.put_object(Bucket=bucket, Key=key, Body=bundle_bytes(files))
    return key
