"""An analyst's own marker files with the usual mistakes: each is refused naming the file and
what is wrong (MarkerError, exit 5), where it used to be ignored, match no post, or raise a
traceback; the forms FORMAT.md allows still load."""

import pytest
from click.testing import CliRunner

from moodcast.cli import main
from transforms.markers import MarkerError, load_markers

LEXICON = 'name = "mine"\ndimensions = ["emotion"]\n'
MODELLED = LEXICON + '[lang.en]\nterms = ["sad"]\nprototypes = ["I feel sad"]\n'

MISTAKES = {
    "lang as a list": ('name = "mine"\nlang = ["en"]\n', "'lang' must be tables"),
    "description a number": (
        'name = "mine"\ndescription = 3\n[lang.en]\nterms = ["sad"]\n',
        "'description' must be a string",
    ),
    "misspelt threshold": (
        MODELLED + "treshold = 2.0\n",
        "[lang.en] unknown key(s) 'treshold' (did you mean threshold?)",
    ),
    "term for terms": (LEXICON + '[lang.en]\nterm = ["sad"]\n', "'term' (did you mean terms?)"),
    "terms at the top": (LEXICON + 'terms = ["sad"]\n', "unknown key(s) 'terms'"),
    "guards at the top": (
        LEXICON + 'guards = ["sad to say"]\n[lang.en]\nterms = ["sad"]\n',
        "unknown key(s) 'guards'",
    ),
    "upper-case language": (LEXICON + '[lang.EN]\nterms = ["sad"]\n', "write [lang.en]"),
    "three-letter code of en": (LEXICON + '[lang.eng]\nterms = ["sad"]\n', "write [lang.en]"),
    "language name": (
        LEXICON + '[lang.english]\nterms = ["sad"]\n',
        "[lang.english] is not a language code",
    ),
    "threshold nan": (MODELLED + "threshold = nan\n", "'threshold' must be a finite number"),
    "threshold inf": (MODELLED + "threshold = inf\n", "'threshold' must be a finite number"),
    "a lone star": (LEXICON + '[lang.en]\nterms = ["sad", "*"]\n', "the term '*' is empty"),
    "an apostrophe": (LEXICON + '[lang.en]\nterms = ["sad", "\'"]\n', "is empty"),
    "star before a word": (LEXICON + '[lang.en]\nterms = ["*ness"]\n', "'*ness' has a '*'"),
    "star opening a later word": (
        LEXICON + '[lang.en]\nterms = ["so *sad"]\n',
        "'so *sad' has a '*'",
    ),
    "star before a symbol": (LEXICON + '[lang.en]\nterms = ["cry*!"]\n', "'cry*!' has a '*'"),
    "star mid-phrase": (LEXICON + '[lang.en]\nterms = ["cry* out"]\n', "'cry* out' has a '*'"),
    "star in a guard": (
        LEXICON + '[lang.en]\nterms = ["sad"]\nguards = ["sad* to say"]\n',
        "'guards': the term 'sad* to say'",
    ),
    "guard equal to a term": (
        LEXICON + '[lang.en]\nterms = ["sad", "alone"]\nguards = ["Sad"]\n',
        "the guard 'Sad' is also one of its terms",
    ),
    "no source at all": (LEXICON, "no language has terms, prototypes or a trained head"),
    "an empty language": (LEXICON + "[lang.en]\n", "no language has terms"),
    "rule model without a model source": (
        LEXICON + 'rule = "model"\n[lang.en]\nterms = ["sad"]\n',
        "'rule' is 'model', which needs a model source",
    ),
    "rule either without a model source": (
        LEXICON + 'rule = "either"\n[lang.en]\nterms = ["sad"]\n[lang.es]\nterms = ["triste"]\n',
        "'rule' is 'either'",
    ),
}


@pytest.mark.parametrize("text, said", MISTAKES.values(), ids=MISTAKES)
def test_a_mistake_in_a_marker_file_is_refused_naming_the_file(tmp_path, text, said):
    (tmp_path / "mine.toml").write_text(text, encoding="utf-8")
    with pytest.raises(MarkerError) as refused:
        load_markers(tmp_path)
    assert str(refused.value).startswith(str(tmp_path / "mine.toml"))
    assert said in str(refused.value)


def test_markers_list_exits_5_on_a_lang_that_is_not_tables_where_it_raised_a_traceback(
    tmp_path,
):
    (tmp_path / "markers").mkdir()
    (tmp_path / "markers" / "mine.toml").write_text('name = "mine"\nlang = ["en"]\n')
    result = CliRunner().invoke(main, ["markers", "list", "--data-dir", str(tmp_path)])
    assert result.exit_code == 5, result.output
    assert "mine.toml: 'lang' must be tables" in result.output


def test_the_forms_the_format_allows_still_load(tmp_path):
    (tmp_path / "mine.toml").write_text(
        LEXICON + 'rule = "either"\n[lang.en]\nterms = ["cry*", ":(", "<3", "(*_*)", "sad"]\n'
        'prototypes = ["I feel sad"]\nthreshold = 2\nguards = ["sad to say"]\n'
        '[lang.haw]\nterms = ["kaumaha"]\n',
        encoding="utf-8",
    )
    (tmp_path / "heads_only.toml").write_text('name = "heads_only"\nrule = "model"\n[lang.en]\n')
    (tmp_path / "heads_only.head.json").write_text(
        '{"family": "ngram", "model": "ngram-words", "coef": [], "indices": [], '
        '"intercept": 0.0, "threshold": 0.5, "languages": ["en"]}'
    )
    markers = load_markers(tmp_path)
    assert markers["mine"].languages == {"en", "haw"}
    assert markers["heads_only"].model_languages == {"en"}
