"""Markers: what they are (`definitions`: marker files, heads, versions; `file_checks`: what a
marker directory and its files may hold), the matching rules
(`rules`, the reference engine), the compiled engine (`tables`, `engine`, `scan`), and the one
value that joins them, `CompiledMarkers` (`compiled`). docs/markers.md explains the engine."""

from transforms.markers.compiled import CompiledMarkers, compile_markers, score, tag
from transforms.markers.definitions import (
    BUILTIN_DIR,
    CUES,
    DEFAULT_HEADS_DIR,
    FAMILIES,
    NAME_PATTERN,
    OWN_MODEL_FILE,
    RULES,
    Head,
    Marker,
    MarkerError,
    load_markers,
    marker_name,
    marker_versions,
    parse_marker,
    read_head,
    shipped_head_files,
    supported_languages,
)

__all__ = [
    "BUILTIN_DIR",
    "CUES",
    "DEFAULT_HEADS_DIR",
    "FAMILIES",
    "NAME_PATTERN",
    "OWN_MODEL_FILE",
    "RULES",
    "CompiledMarkers",
    "Head",
    "Marker",
    "MarkerError",
    "compile_markers",
    "load_markers",
    "marker_name",
    "marker_versions",
    "parse_marker",
    "read_head",
    "score",
    "shipped_head_files",
    "supported_languages",
    "tag",
]
