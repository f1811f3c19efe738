"""Small post files the reader and input tests build."""

import orjson


def jsonl_posts(n: int) -> bytes:
    """`n` JSON Lines posts, ids `0` to `n - 1`, text `post <id>`."""
    return b"".join(
        orjson.dumps({"id": str(i), "created_at": "2025-01-01T00:00:00Z", "text": f"post {i}"})
        + b"\n"
        for i in range(n)
    )


def spanish_posts(encoding: str, n: int = 40) -> bytes:
    """JSON Lines of Spanish posts, every third with an accented word, in `encoding`."""
    texts = ("hoy fue un buen día", "qué cansancio, mañana más", "sin acentos aquí no")
    lines = (
        orjson.dumps({"id": str(i), "created_at": "2025-01-01", "text": texts[i % 3]}).decode()
        for i in range(n)
    )
    return "".join(f"{line}\n" for line in lines).encode(encoding)
