"""The small sample run: the corpus, as-of day and settings of the test suite's shared run
(`small_corpus` and `published_run` in tests/conftest.py), which benchmarks/fixture_cost.py
measures; the reliability bars (benchmarks/reliability.py) run with LEXICON_ONLY too."""

from __future__ import annotations

from datetime import date

SMALL = {"posts": 12_000, "days": 70, "seed": 11, "start": date(2025, 1, 6)}
"""`moodcast.sample.generate_sample` arguments: 12,000 posts over 70 days."""
AS_OF = date(2025, 3, 31)

LEXICON_ONLY = "models = {}\n"
"""config.toml with no sentence model: a test of warehouse, publishing or alert behaviour does
not depend on one. The default settings need none either (benchmarks/fixture_cost.py: about the
same CPU); the model path end to end is tested by tests/ingest/test_portable.py,
tests/ingest/test_pipeline_models.py and the default sample."""
