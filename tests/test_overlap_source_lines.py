"""SourceLines: a copy's source, as the index locates it, is found back in the text it was built from, with the
copied part marked in its line, including a text that starts partway into its document."""

from __future__ import annotations

from poet_tui.overlap import IndexedText, OverlapIndex, SourceLines, copied_spans


def test_every_copied_span_is_marked_in_the_line_it_starts_on() -> None:
    texts = [
        IndexedText("Tyger Tyger, burning bright,\nIn the forests of the night;", 0, "The Tyger", "Blake"),
        IndexedText("Hope is the thing\nwith feathers that perches", 2, "Hope", "Dickinson", offset=40, first_line=4),
    ]
    index, lines = OverlapIndex.build(texts), SourceLines(texts)
    output = "so In the forests of the night; and hope: Hope is the thing\nwith feathers\nIn the forests"
    spans = copied_spans(index.matcher().feed(output), 8)
    assert {span.source.document for span in spans} == {0, 2}
    assert any(output[span.start] == "\n" for span in spans)  # "\nIn the forests" begins at the end of line 1
    for span in spans:
        line = lines.line(span.source, span.length)
        assert line is not None
        copied = output[span.start : span.end]
        words = copied.lstrip("\n")  # a copy that begins with a line end is shown from its first words
        assert line.number == span.source.line + len(copied) - len(words)
        assert line.text[line.start : line.end] == words.split("\n")[0]
        assert line.more_lines == words.count("\n")
    hope = next(span for span in spans if span.source.document == 2)
    assert hope.source.line == 4 and lines.line(hope.source, hope.length).text == "Hope is the thing"  # type: ignore[union-attr]
