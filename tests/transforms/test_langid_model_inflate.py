"""A cached langid model whose deflated bytes cannot be inflated (a damaged disk block) is
rebuilt like any other corrupt cache (transforms.langid_model), not raised from every process
that identifies a language until someone deletes the file: zipfile raises zlib.error there,
before it reaches the member's checksum."""

from __future__ import annotations

import struct
import zipfile

import numpy as np

from transforms.langid_model import cache_dir, load_identifier, read_cached


def test_a_cache_whose_deflate_stream_is_broken_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_identifier()
    (path,) = cache_dir().glob("*.npz")
    with np.load(path) as data:
        digest = str(data["source"])
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("ptc.npy")
    raw = bytearray(path.read_bytes())
    start = member.header_offset
    name_length, extra_length = struct.unpack_from("<HH", raw, start + 26)
    # A final block of type 3, which no deflate stream holds: "invalid block type".
    raw[start + 30 + name_length + extra_length] = 0b111
    path.write_bytes(bytes(raw))

    assert read_cached(path, digest) is None
    assert load_identifier().classify("I could not sleep again last night")[0] == "en"
    assert read_cached(path, digest) is not None
