"""What a corpus file holds: text, or one sentence saying what is wrong with it and where.

NUL bytes anywhere, invalid UTF-8 deep inside, UTF-16, and chinese-poetry JSON or .jsonl whose fields are not
text are refused, never repaired and never turned into Python `repr` text ("None", "[1, 2]").
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poet_tui.cli.main import main
from poet_tui.corpus import Document, load_documents
from poet_tui.corpus_formats import parse_json_poems, parse_jsonl_poems
from poet_tui.errors import PoetError

POEM = "The moon upon the quiet water,\nthe wind that sings of summer days."


def one_error_line(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    return lines[0]


# --- bytes ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_nul_byte_deep_inside_is_refused(tmp_path: Path, compress: bool) -> None:
    data = (POEM + "\n\n\n") * 5000 + "\x00" + POEM  # far past the first 64 KiB
    assert len(data) > 200_000
    path = tmp_path / ("poems.txt.gz" if compress else "poems.txt")
    path.write_bytes(gzip.compress(data.encode()) if compress else data.encode())
    with pytest.raises(PoetError, match=r"looks like a binary file, not text \(it holds NUL bytes\)"):
        load_documents(path)


def test_invalid_utf8_deep_inside_names_the_offset_and_line(tmp_path: Path) -> None:
    good = (POEM + "\n") * 3000
    path = tmp_path / "poems.txt"
    path.write_bytes(good.encode() + b"caf\xe9\n")
    offset = len(good.encode()) + 3
    with pytest.raises(PoetError, match=rf"bad byte at offset {offset}, line 6001\); re-save it as UTF-8 text\."):
        load_documents(path)


def test_a_utf8_byte_order_mark_is_dropped_in_every_file_of_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"\xef\xbb\xbf" + b"first poem\n")
    (folder / "b.txt").write_bytes(b"\xef\xbb\xbf" + b"second poem\n")
    assert [document.text for document in load_documents(folder)] == ["first poem", "second poem"]


@pytest.mark.parametrize(("codec", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_are_named_not_called_binary(tmp_path: Path, codec: str, name: str) -> None:
    path = tmp_path / "poems.txt"
    path.write_bytes("春眠不觉晓\nthe moon\n".encode(codec))  # Python writes the byte order mark
    with pytest.raises(PoetError, match=rf"poems\.txt is {name} text; re-save it as UTF-8\."):
        load_documents(path)


def test_a_binary_file_named_txt_in_a_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").write_text(POEM, encoding="utf-8")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(PoetError, match=r"photo\.txt looks like a binary file"):
        load_documents(folder)


@pytest.mark.parametrize(
    "content",
    [b"", b"\n \n\t\n", b"%\n%\n%\n", b"%\n   \n%\n\n%\n"],
    ids=["empty", "blank", "only-percent-lines", "percent-and-blank"],
)
def test_files_without_poems_hold_no_text(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fortunes"
    path.write_bytes(content)
    with pytest.raises(PoetError, match="holds no text; give a file with some poems in it"):
        load_documents(path)


def test_a_folder_of_empty_files_holds_no_text(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    (folder / "b.json").write_text("[]", encoding="utf-8")
    with pytest.raises(PoetError, match="poems holds no text"):
        load_documents(folder)


def test_a_control_character_in_a_file_name_keeps_the_sentence_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad\nname\x1b[31m.txt"
    path.write_bytes(b"\x00binary")
    line = one_error_line(capsys, "corpora", "add", str(path))
    assert "bad\\nname\\x1b[31m.txt looks like a binary file" in line


# --- JSON -------------------------------------------------------------------------------------------------------


def write_json(tmp_path: Path, data: object, name: str = "poet.tang.0.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


GOOD = {"title": "静夜思", "author": "李白", "paragraphs": ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]}


@pytest.mark.parametrize(
    ("poem", "message"),
    [
        ({**GOOD, "title": None}, 'has null as "title" where text belongs'),
        ({**GOOD, "author": [1, 2]}, 'has a list as "author" where text belongs'),
        ({**GOOD, "author": {"name": "李白"}}, 'has an object as "author" where text belongs'),
        ({**GOOD, "title": 7}, 'has a number as "title" where text belongs'),
        ({**GOOD, "paragraphs": None}, 'has null as "paragraphs" where text or a list of lines belongs'),
        ({**GOOD, "paragraphs": ["ok", None]}, 'has null at "paragraphs"\\[1\\] where a line of text belongs'),
        ({**GOOD, "paragraphs": ["ok", ["nested"]]}, 'has a list at "paragraphs"\\[1\\]'),
        ({**GOOD, "paragraphs": [True]}, 'has true at "paragraphs"\\[0\\]'),
        ({"title": "t", "content": 3.5}, 'has a number as "content"'),
    ],
    ids=[
        "null-title",
        "list-author",
        "object-author",
        "number-title",
        "null-paragraphs",
        "null-line",
        "nested-line",
        "bool-line",
        "number-content",
    ],
)
def test_chinese_poetry_fields_that_are_not_text_are_refused_by_file_and_index(
    tmp_path: Path, poem: dict[str, Any], message: str
) -> None:
    path = write_json(tmp_path, [GOOD, GOOD, poem])
    with pytest.raises(PoetError, match=rf"poet\.tang\.0\.json: the poem at index 2 {message}"):
        load_documents(path)


@pytest.mark.parametrize(
    ("data", "found"),
    [(3, "a number"), ("a poem", "text"), (None, "null"), (True, "true")],
    ids=["number", "string", "null", "true"],
)
def test_a_json_top_level_that_is_not_a_list_of_poems_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: object, found: str
) -> None:
    path = write_json(tmp_path, data)
    line = one_error_line(capsys, "corpora", "add", str(path))
    assert "should hold a JSON list of poems like" in line and line.endswith(f"found {found}.")


def test_a_list_item_that_is_not_an_object_is_named_by_index(tmp_path: Path) -> None:
    path = write_json(tmp_path, [GOOD, "just a string"])
    with pytest.raises(PoetError, match=r"the poem at index 1 is text, not an object"):
        load_documents(path)


def test_objects_without_any_text_field_are_skipped_not_refused(tmp_path: Path) -> None:
    """chinese-poetry's author files sit beside its poems; a folder of both reads the poems."""
    folder = tmp_path / "chinese-poetry"
    folder.mkdir()
    write_json(folder, [{"name": "李白", "desc": "..."}], name="authors.tang.json")
    write_json(folder, [GOOD], name="poet.tang.0.json")
    assert load_documents(folder) == [Document("\n".join(GOOD["paragraphs"]), "静夜思", "李白")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"title": "t", "paragraphs": [NaN]}]', "not valid JSON \\(NaN is not a number JSON allows\\)"),
        ('[{"title": "t", "text": Infinity}]', "not valid JSON \\(Infinity is not a number"),
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply to be a list of poems"),
        ('[{"title": "t",\n "text": "a" "b"}]', "not valid JSON \\(line 2: Expecting ','"),
    ],
    ids=["nan", "infinity", "deep", "syntax"],
)
def test_json_that_is_not_data_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "poems.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PoetError, match=message):
        load_documents(path)
    one_error_line(capsys, "corpora", "add", str(path))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "a poem", "title": null}', 'line 2 has null as "title" where text belongs'),
        ('{"text": "a poem", "author": 5}', 'line 2 has a number as "author" where text belongs'),
        ('{"text": null}', 'line 2 should be an object with a "text" field holding text'),
        ('{"text": ["a", "b"]}', 'line 2 should be an object with a "text" field holding text'),
        ("[1, 2]", 'line 2 should be an object with a "text" field'),
        ('{"text": NaN}', "line 2 is not valid JSON \\(NaN is not a number JSON allows\\)"),
        ("[" * 50_000 + "]" * 50_000, "line 2 is nested too deeply"),
        ("{not json", "line 2 is not valid JSON \\(line 1: Expecting property name"),
    ],
    ids=["null-title", "number-author", "null-text", "list-text", "not-object", "nan", "deep", "syntax"],
)
def test_jsonl_lines_that_are_not_poems_are_refused_by_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "poems.jsonl"
    path.write_text('{"text": "first", "title": "t", "author": "a"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(PoetError, match=rf"poems\.jsonl {message}"):
        load_documents(path)


def test_good_jsonl_keeps_title_and_author_apart(tmp_path: Path) -> None:
    path = tmp_path / "poems.jsonl"
    path.write_text('{"title": "t", "author": "a", "text": "body"}\n\n{"text": "two"}\n', encoding="utf-8")
    assert load_documents(path) == [Document("body", "t", "a"), Document("two")]


# --- properties -------------------------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
POEM_FIELDS = ("title", "author", "paragraphs", "text", "content")
POEM_ITEMS = st.dictionaries(
    st.sampled_from(POEM_FIELDS),
    JSON_VALUES | st.text(max_size=12) | st.lists(st.text(max_size=12), max_size=3),
    max_size=5,
)


def is_well_formed(item: object) -> bool:
    """What parse_json_poems should accept: an object whose title/author are text and whose body is text or lines."""
    if not isinstance(item, dict):
        return False
    if any(not isinstance(item.get(field, ""), str) for field in ("title", "author")):
        return False
    body_field = next((field for field in ("paragraphs", "text", "content") if field in item), None)
    if body_field is None:
        return True
    body = item[body_field]
    return isinstance(body, str) or (isinstance(body, list) and all(isinstance(line, str) for line in body))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(POEM_ITEMS | JSON_VALUES, max_size=4) | JSON_VALUES)
def test_damaged_chinese_poetry_json_is_accepted_as_text_or_refused_in_a_sentence(data: object) -> None:
    text = json.dumps(data)
    try:
        documents = parse_json_poems(text, Path("generated.json"))
    except PoetError as error:
        message = str(error)
        assert message.startswith("generated.json") and "\n" not in message
        items = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
        assert items is None or not all(is_well_formed(item) for item in items)
        return
    items = data if isinstance(data, list) else [data]
    assert all(is_well_formed(item) for item in items)
    for document in documents:
        assert all(isinstance(value, str) for value in (document.text, document.title, document.author))
        assert document.text.strip()


@settings(max_examples=200, deadline=None)
@given(st.lists(POEM_ITEMS | JSON_VALUES, max_size=4))
def test_damaged_jsonl_is_accepted_as_text_or_refused_in_a_sentence(items: list[object]) -> None:
    text = "\n".join(json.dumps(item) for item in items)
    try:
        documents = parse_jsonl_poems(text, Path("generated.jsonl"))
    except PoetError as error:
        assert str(error).startswith("generated.jsonl line ") and "\n" not in str(error)
        return
    for document in documents:
        assert all(isinstance(value, str) for value in (document.text, document.title, document.author))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".txt", ".json", ".jsonl", ""]))
def test_any_bytes_give_documents_or_one_sentence(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        documents = load_documents(path)
    except PoetError as error:
        assert "\n" not in str(error)
        return
    assert documents and all(document.text.strip() for document in documents)
