"""Reads one segment of Sightline's embedded log encrypted at rest, independently of Sightline's code:
the frame format of src/log/embedded/record-codec.ts, the sidecar key file and AES-256-GCM as
docs/security.md describes them, with the `cryptography` package. Prints one JSON line per record."""
import base64
import json
import struct
import sys
import zlib

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def master_keys(path):
    keys = {}
    for line in open(path, encoding="utf8"):
        line = line.strip()
        if line and not line.startswith("#"):
            key_id, key = line.split(":", 1)
            keys[key_id] = base64.b64decode(key)
    return keys


def main(segment, key_file):
    sidecar = json.load(open(segment[: -len(".log")] + ".key", encoding="utf8"))
    master = master_keys(key_file)[sidecar["kek"]]
    data_key = AESGCM(master).decrypt(
        base64.b64decode(sidecar["iv"]),
        base64.b64decode(sidecar["key"]) + base64.b64decode(sidecar["tag"]),
        sidecar["kek"].encode(),
    )
    buf = open(segment, "rb").read()
    pos = 0
    while pos + 8 <= len(buf):
        body_length, crc = struct.unpack_from(">II", buf, pos)
        body = buf[pos + 8 : pos + 8 + body_length]
        if len(body) < body_length or zlib.crc32(body) != crc:
            break
        p = 1
        high, low = struct.unpack_from(">II", body, p)
        offset = high * 2**32 + low
        p += 8 + 8
        (key_length,) = struct.unpack_from(">H", body, p)
        p += 2
        key = body[p : p + key_length].decode()
        p += key_length
        (header_count,) = struct.unpack_from(">H", body, p)
        p += 2
        for _ in range(header_count):
            (name_length,) = struct.unpack_from(">H", body, p)
            p += 2 + name_length
            (value_length,) = struct.unpack_from(">I", body, p)
            p += 4 + value_length
        (value_length,) = struct.unpack_from(">I", body, p)
        p += 4
        sealed = body[p : p + value_length]
        value = AESGCM(data_key).decrypt(sealed[:12], sealed[12:], struct.pack(">II", high, low))
        print(json.dumps({"offset": offset, "key": key, "value": value.decode("utf8")}))
        pos += 8 + body_length


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
