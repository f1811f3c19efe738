"""Which JSON Lines may be parsed in bulk (polars.read_ndjson) with the values the per-line
path (orjson, then transforms.records.coerce_record) gives them.

The two parsers agree on strict, plain JSON and differ elsewhere: polars keeps the first of
two duplicate keys (orjson the last), reads `"te\\u0078t"` as the key `text` but cannot be
checked for it, writes a non-integer number in a text field its own way (`1.0` as `1`),
writes an object, an array or `true` in a text field as JSON text (coerce_record refuses
them), turns a lone surrogate escape into a character (orjson refuses the line) and fails a
whole chunk for one malformed line. plain_lines accepts a line only where none of that can
happen: one JSON object without a raw line feed (read_ndjson would cut the record there), valid
UTF-8 and valid JSON throughout, its Post field keys unescaped and each at most once, each text
field a string, null or an integer of at most 18 characters, `is_repost` true, false or null;
other fields any JSON value, their numbers without an exponent and of at most 18 characters
(orjson refuses one that overflows a double), nested at most MAX_DEPTH deep. Every other line
keeps the per-line path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from transforms.buffers import kernel
from transforms.line_buffer import LineBuffer

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays a bulk line may hold."""
_LONGEST_NUMBER = 18
_QUOTE, _BACKSLASH, _COLON, _COMMA = 34, 92, 58, 44
_OPEN, _CLOSE, _OPEN_LIST, _CLOSE_LIST = 123, 125, 91, 93


def plain_lines(lines: LineBuffer | Sequence[bytes], fields: dict[str, bool]) -> np.ndarray:
    """A Boolean per line of `lines` (JSON Lines without their newlines): whether it may be
    parsed in bulk (see the module doc). `fields` maps each Post field's key to whether it is
    the Boolean `is_repost` kind (True) or a text field (False)."""
    if not isinstance(lines, LineBuffer):
        lines = LineBuffer.of(lines)
    buffer = np.frombuffer(lines.data, dtype=np.uint8)
    names = [name.encode() for name in fields]
    keys = np.frombuffer(b"".join(names), dtype=np.uint8)
    key_offsets = np.zeros(len(names) + 1, dtype=np.int64)
    key_offsets[1:] = np.cumsum([len(name) for name in names])
    flags = np.array(list(fields.values()), dtype=np.bool_)
    out = np.zeros(len(lines), dtype=np.bool_)
    stack = np.empty(MAX_DEPTH, dtype=np.uint8)
    _plain(buffer, lines.starts, lines.ends, keys, key_offsets, flags, out, stack)
    return out


@kernel
def _plain(buf, starts, ends, keys, key_offsets, flags, out, stack):
    for i in range(len(starts)):
        out[i] = _line(buf, starts[i], ends[i], keys, key_offsets, flags, stack)


@kernel
def _line(buf, p, end, keys, key_offsets, flags, stack):
    p = _space(buf, p, end)
    if p >= end or buf[p] != _OPEN:
        return False
    p = _space(buf, p + 1, end)
    seen = np.int64(0)
    if p < end and buf[p] == _CLOSE:
        return _space(buf, p + 1, end) == end
    while True:
        if p >= end or buf[p] != _QUOTE:
            return False
        after = _string(buf, p, end, True)
        if after < 0:
            return False
        k = _field(buf, p + 1, after - 1, keys, key_offsets)
        p = _space(buf, after, end)
        if p >= end or buf[p] != _COLON:
            return False
        p = _space(buf, p + 1, end)
        if p >= end:
            return False
        if k >= 0:
            if seen & (np.int64(1) << k):
                return False
            seen |= np.int64(1) << k
            p = _flag(buf, p, end) if flags[k] else _text(buf, p, end)
        else:
            p = _value(buf, p, end, stack)
        if p < 0:
            return False
        p = _space(buf, p, end)
        if p < end and buf[p] == _COMMA:
            p = _space(buf, p + 1, end)
            continue
        if p < end and buf[p] == _CLOSE:
            return _space(buf, p + 1, end) == end
        return False


@kernel
def _space(buf, p, end):
    """Past the JSON white space at `p` but for a line feed, which read_ndjson takes as the end
    of a line: a record with one (a pretty-printed stream message) keeps the per-line path."""
    while p < end and (buf[p] == 32 or buf[p] == 9 or buf[p] == 13):
        p += 1
    return p


@kernel
def _field(buf, start, end, keys, key_offsets):
    """The index of the key `buf[start:end]` among `keys`, or -1."""
    for k in range(len(key_offsets) - 1):
        a, b = key_offsets[k], key_offsets[k + 1]
        if b - a != end - start:
            continue
        same = True
        for i in range(b - a):
            if keys[a + i] != buf[start + i]:
                same = False
                break
        if same:
            return k
    return -1


@kernel
def _literal(buf, p, end, word):
    if end - p < len(word):
        return -1
    for i in range(len(word)):
        if buf[p + i] != word[i]:
            return -1
    return p + len(word)


_PLAIN = np.zeros(256, dtype=np.bool_)
_PLAIN[0x20:0x80] = True
_PLAIN[[_QUOTE, _BACKSLASH]] = False
"""The bytes a JSON string holds as they are: printable ASCII but for `"` and `\\`."""
_NULL = np.frombuffer(b"null", dtype=np.uint8)
_TRUE = np.frombuffer(b"true", dtype=np.uint8)
_FALSE = np.frombuffer(b"false", dtype=np.uint8)


@kernel
def _flag(buf, p, end):
    if buf[p] == 116:
        return _literal(buf, p, end, _TRUE)
    if buf[p] == 102:
        return _literal(buf, p, end, _FALSE)
    return _literal(buf, p, end, _NULL)


@kernel
def _text(buf, p, end):
    if buf[p] == _QUOTE:
        return _string(buf, p, end, False)
    if buf[p] == 110:
        return _literal(buf, p, end, _NULL)
    return _number(buf, p, end, True)


@kernel
def _digits(buf, p, end):
    while p < end and 48 <= buf[p] <= 57:
        p += 1
    return p


@kernel
def _number(buf, p, end, integer):
    """The end of the JSON number at `p` (an integer only, with `integer`; never an
    exponent; at most _LONGEST_NUMBER characters), or -1."""
    start = p
    if p < end and buf[p] == 45:
        p += 1
    if p >= end or not 48 <= buf[p] <= 57:
        return -1
    p = p + 1 if buf[p] == 48 else _digits(buf, p, end)
    if p < end and buf[p] == 46 and not integer:
        after = _digits(buf, p + 1, end)
        if after == p + 1:
            return -1
        p = after
    if p < end and (buf[p] == 46 or buf[p] == 101 or buf[p] == 69):
        return -1
    return p if p - start <= _LONGEST_NUMBER else -1


@kernel
def _hex4(buf, p, end):
    if end - p < 4:
        return -1
    value = 0
    for i in range(4):
        b = buf[p + i]
        if 48 <= b <= 57:
            digit = b - 48
        elif 97 <= b <= 102:
            digit = b - 87
        elif 65 <= b <= 70:
            digit = b - 55
        else:
            return -1
        value = value * 16 + digit
    return value


@kernel
def _utf8(buf, p, end):
    """The length of the valid UTF-8 sequence starting at `p` (lead byte >= 0x80), or -1."""
    b = buf[p]
    if 0xC2 <= b <= 0xDF:
        n, low, high = 2, 0x80, 0xBF
    elif b == 0xE0:
        n, low, high = 3, 0xA0, 0xBF
    elif b == 0xED:
        n, low, high = 3, 0x80, 0x9F
    elif 0xE1 <= b <= 0xEF:
        n, low, high = 3, 0x80, 0xBF
    elif b == 0xF0:
        n, low, high = 4, 0x90, 0xBF
    elif b == 0xF4:
        n, low, high = 4, 0x80, 0x8F
    elif 0xF1 <= b <= 0xF3:
        n, low, high = 4, 0x80, 0xBF
    else:
        return -1
    if end - p < n or not low <= buf[p + 1] <= high:
        return -1
    for i in range(2, n):
        if not 0x80 <= buf[p + i] <= 0xBF:
            return -1
    return n


@kernel
def _string(buf, p, end, unescaped):
    """The end (after the closing quote) of the JSON string opening at `p`, or -1: invalid
    UTF-8, a raw control character, a bad escape or a lone surrogate; with `unescaped`, any
    escape."""
    p += 1
    while p < end:
        b = buf[p]
        if _PLAIN[b]:
            p += 1
            continue
        if b == _QUOTE:
            return p + 1
        if b == _BACKSLASH:
            if unescaped or p + 1 >= end:
                return -1
            e = buf[p + 1]
            if e == 117:
                u = _hex4(buf, p + 2, end)
                p += 6
                if 0xD800 <= u <= 0xDBFF:
                    if end - p < 6 or buf[p] != _BACKSLASH or buf[p + 1] != 117:
                        return -1
                    if not 0xDC00 <= _hex4(buf, p + 2, end) <= 0xDFFF:
                        return -1
                    p += 6
                elif u < 0 or 0xDC00 <= u <= 0xDFFF:
                    return -1
            elif e in (34, 92, 47, 98, 102, 110, 114, 116):
                p += 2
            else:
                return -1
        elif b < 0x20:
            return -1
        elif b < 0x80:
            p += 1
        else:
            n = _utf8(buf, p, end)
            if n < 0:
                return -1
            p += n
    return -1


@kernel
def _scalar(buf, p, end):
    b = buf[p]
    if b == _QUOTE:
        return _string(buf, p, end, False)
    if b == 116:
        return _literal(buf, p, end, _TRUE)
    if b == 102:
        return _literal(buf, p, end, _FALSE)
    if b == 110:
        return _literal(buf, p, end, _NULL)
    return _number(buf, p, end, False)


@kernel
def _value(buf, p, end, stack):
    """The end of any JSON value at `p` (objects and arrays within MAX_DEPTH), or -1."""
    depth = 0
    while True:
        p = _space(buf, p, end)
        if p >= end:
            return -1
        b = buf[p]
        if b in (_OPEN, _OPEN_LIST):
            if depth == len(stack):
                return -1
            stack[depth] = b
            depth += 1
            p = _space(buf, p + 1, end)
            if p < end and buf[p] == b + 2:
                depth -= 1
                p += 1
            elif b == _OPEN:
                p = _key(buf, p, end)
                if p < 0:
                    return -1
                continue
            else:
                continue
        else:
            p = _scalar(buf, p, end)
            if p < 0:
                return -1
        while depth > 0:
            p = _space(buf, p, end)
            if p >= end:
                return -1
            if buf[p] == stack[depth - 1] + 2:
                depth -= 1
                p += 1
            elif buf[p] == _COMMA:
                p += 1
                if stack[depth - 1] == _OPEN:
                    p = _key(buf, _space(buf, p, end), end)
                    if p < 0:
                        return -1
                break
            else:
                return -1
        if depth == 0:
            return p


@kernel
def _key(buf, p, end):
    """Past `"key" :` at `p` in a nested object, or -1."""
    if p >= end or buf[p] != _QUOTE:
        return -1
    p = _string(buf, p, end, False)
    if p < 0:
        return -1
    p = _space(buf, p, end)
    if p >= end or buf[p] != _COLON:
        return -1
    return p + 1
