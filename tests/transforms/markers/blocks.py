"""Unicode blocks the scanner's character table does not start with, for tests that make
threads learn new code points at once."""

BLOCKS = [
    range(0x370, 0x400),
    range(0x400, 0x530),
    range(0x530, 0x590),
    range(0x10A0, 0x1100),
    range(0x1E00, 0x1F00),
    range(0x1F00, 0x2000),
    range(0x2C00, 0x2D30),
    range(0xFF00, 0xFFF0),
]
"""Blocks outside tables.STARTING_BLOCKS, most with upper-case letters (MAPPED entries)."""
