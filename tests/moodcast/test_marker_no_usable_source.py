"""A marker whose only source is prototypes in a language with no configured sentence model
would match no post: every command that loads the markers refuses it naming its file and
`models` (exit 5), where `tag` and `run` gave it no row at all and `markers list` listed it."""

from click.testing import CliRunner

from moodcast.cli import main


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


def _data_dir(tmp_path, marker):
    (tmp_path / "markers").mkdir()
    (tmp_path / "markers" / "pena.toml").write_text(marker, encoding="utf-8")
    posts = tmp_path / "posts.csv"
    posts.write_text("id,created_at,text,lang\n1,2025-01-06T10:00:00,qué pena,es\n")
    return tmp_path, posts


def test_prototypes_in_a_language_without_a_model_are_refused_naming_file_and_models(tmp_path):
    data, posts = _data_dir(
        tmp_path, 'name = "pena"\nrule = "model"\n[lang.es]\nprototypes = ["qué pena"]\n'
    )
    listed = _invoke("markers", "list", "--data-dir", str(data))
    tagged = _invoke(
        "tag", str(posts), "-o", str(tmp_path / "out.parquet"), "--data-dir", str(data)
    )
    for result in (listed, tagged):
        assert result.exit_code == 5, result.output
        assert str(data / "markers" / "pena.toml") in result.output
        assert "`models` has en" in result.output


def test_the_same_marker_with_terms_still_tags(tmp_path):
    data, posts = _data_dir(
        tmp_path,
        'name = "pena"\nrule = "either"\n[lang.es]\nterms = ["pena"]\nprototypes = ["qué pena"]\n',
    )
    tagged = _invoke(
        "tag", str(posts), "-o", str(tmp_path / "out.parquet"), "--data-dir", str(data)
    )
    assert tagged.exit_code == 0, tagged.output
