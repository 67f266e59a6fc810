#!/usr/bin/python3
"""make_files.py OUT_DIR — writes the catalogue's binary inputs that need a real encoder (Pillow,
zlib): picture files in every awkward form and a gzip bomb. scripts/test runs it when it changes.

Pictures: a good PNG (8x6, left half red, right half blue) and the same as a 16-bit PNG, a CMYK
JPEG, an animated GIF (first frame red, second blue); truncated PNG and JPEG; a PNG header that
says 0 x 0 and one that says 20000 x 20000 (with real, compressed rows); a text file.
"""
import gzip
import io
import os
import struct
import sys
import zlib

from PIL import Image


def two_colour(mode, size=(8, 6), left=(255, 0, 0), right=(0, 0, 255)):
    img = Image.new("RGB", size, right)
    for y in range(size[1]):
        for x in range(size[0] // 2):
            img.putpixel((x, y), left)
    return img.convert(mode) if mode != "RGB" else img


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_of_size(width, height, rows):
    """A greyscale 8-bit PNG whose IHDR says width x height, with `rows` rows of zeros compressed."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compressobj(9)
    body = b""
    row = b"\x00" + bytes(width)
    for _ in range(rows):
        body += raw.compress(row)
    body += raw.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")


def main(out):
    os.makedirs(out, exist_ok=True)

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    def saved(img, fmt, **options):
        buf = io.BytesIO()
        img.save(buf, fmt, **options)
        return buf.getvalue()

    good = saved(two_colour("RGB"), "PNG")
    write("good.png", good)
    # 16 bits per channel: Pillow writes mode "I;16" greyscale as a 16-bit PNG; 65535 = white, 0 = black
    grey16 = Image.new("I;16", (8, 6), 0)
    for y in range(6):
        for x in range(4):
            grey16.putpixel((x, y), 65535)
    write("grey16.png", saved(grey16, "PNG"))
    write("cmyk.jpg", saved(two_colour("CMYK"), "JPEG", quality=95))
    frames = [two_colour("RGB", left=(255, 0, 0), right=(255, 0, 0)), two_colour("RGB", left=(0, 0, 255), right=(0, 0, 255))]
    write("animated.gif", saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0))
    write("truncated.png", good[: len(good) // 2])
    jpeg = saved(two_colour("RGB", size=(64, 48)), "JPEG", quality=90)
    write("truncated.jpg", jpeg[: len(jpeg) // 2])
    write("zero.png", png_of_size(0, 0, 0))
    write("huge.png", png_of_size(20000, 20000, 20000))  # 400 megapixels of zeros: about 400 KB
    write("not-a-picture.png", b"These are my notes for the lesson, not a picture.\n")

    # A gzip bomb: 1 GiB of zeros, compressed to about 1 MB.
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    chunk = bytes(1 << 20)
    parts = [z.compress(chunk) for _ in range(1024)]
    parts.append(z.flush())
    write("bomb-1gb.gz", b"".join(parts))


if __name__ == "__main__":
    main(sys.argv[1])
