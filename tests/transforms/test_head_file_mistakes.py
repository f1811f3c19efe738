"""A trained head file (`<name>.head.json`) in an analyst's marker directory whose languages or
numbers would leave it matching no post is refused naming the file (MarkerError, exit 5),
where it used to attach to no language, to the wrong ones, or never reach its threshold."""

import json

import pytest

from transforms.markers import MarkerError, load_markers

HEAD = {
    "family": "ngram",
    "model": "ngram-words",
    "coef": [0.5],
    "indices": [1],
    "intercept": 0.0,
    "threshold": 0.5,
    "languages": ["en"],
}

MISTAKES = {
    "languages a string": ({"languages": "en"}, "'languages' must be a list"),
    "no language": ({"languages": []}, "'languages' must be a list"),
    "upper-case language": ({"languages": ["EN"]}, "posts in that language are 'en'"),
    "language name": ({"languages": ["english"]}, "'english' in 'languages' is not a language"),
    "threshold NaN": ({"threshold": float("nan")}, "'threshold' must be a probability"),
    "threshold above 1": ({"threshold": 1.5}, "'threshold' must be a probability"),
    "infinite weight": ({"coef": [float("inf")]}, "finite numbers"),
}


def _marker_dir(root, **head):
    (root / "mine.toml").write_text('name = "mine"\n[lang.en]\nterms = ["sad"]\n')
    (root / "mine.head.json").write_text(json.dumps({**HEAD, **head}))
    return root


@pytest.mark.parametrize("changed, said", MISTAKES.values(), ids=MISTAKES)
def test_a_head_that_would_match_nothing_is_refused_naming_its_file(tmp_path, changed, said):
    with pytest.raises(MarkerError) as refused:
        load_markers(_marker_dir(tmp_path, **changed))
    assert str(refused.value).startswith(str(tmp_path / "mine.head.json"))
    assert said in str(refused.value)


def test_a_head_in_a_language_the_marker_has_no_terms_in_still_loads(tmp_path):
    marker = load_markers(_marker_dir(tmp_path, languages=["fr"]))["mine"]
    assert marker.languages == {"en"} and set(marker.heads) == {"fr"}
