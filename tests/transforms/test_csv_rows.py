import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.csv_rows import csv_rows


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_clean_csv_with_quoted_newlines_reads_like_the_csv_module():
    text = 'id,text\n1,"two\nlines"\n2,"a ""quote"""\n\n3,plain\n'
    rows = list(csv_rows(_lines(text)))
    assert [(r.line, r.values) for r in rows] == [
        (2, {"id": "1", "text": "two\nlines"}),
        (4, {"id": "2", "text": 'a "quote"'}),
        (6, {"id": "3", "text": "plain"}),
    ]


def test_an_unclosed_quote_is_one_problem_and_reading_resumes_on_the_next_line():
    body = [f"{i},text {i}\n" for i in range(2, 200)]
    text = 'id,text\n1,"never closed\n' + "".join(body)
    rows = list(csv_rows(_lines(text)))
    assert rows[0].problem == "unclosed quote" and rows[0].line == 2
    assert [r.values["id"] for r in rows[1:]] == [str(i) for i in range(2, 200)]


def test_an_unclosed_quote_that_meets_a_later_quote_loses_only_its_own_line():
    text = 'id,text\n1,"oops\n2,"fine"\n3,"also fine"\n'
    rows = list(csv_rows(_lines(text)))
    assert [(r.line, r.problem) for r in rows if r.problem] == [(2, "unclosed quote")]
    assert [r.values["id"] for r in rows if not r.problem] == ["2", "3"]


def test_an_oversized_field_is_one_problem():
    text = "id,text\n1," + "x" * 200_000 + "\n2,ok\n"
    rows = list(csv_rows(_lines(text)))
    assert [(r.line, r.problem) for r in rows] == [(2, "oversized field"), (3, None)]


def test_extra_fields_are_a_problem_and_missing_ones_are_empty():
    rows = list(csv_rows(_lines("a,b\n1,2,3\n4\n")))
    assert rows[0].problem == "more fields than the header"
    assert rows[1].values == {"a": "4", "b": None}


cell = st.text(alphabet=st.sampled_from(list('ab ,"\n')), max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(cell, cell), min_size=1, max_size=8))
def test_well_formed_csv_reads_exactly_as_the_csv_module_writes_it(rows):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["a", "b"])
    writer.writerows(rows)
    got = list(csv_rows(_lines(buffer.getvalue())))
    expected = rows
    assert all(r.problem is None for r in got)
    assert [(r.values["a"] or "", r.values["b"] or "") for r in got] == list(expected)
