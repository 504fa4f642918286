"""A Gutenberg file down to poems: decoding, the licence header and footer cut off, and verse split at its
headings and gaps with prose and front and back matter dropped, on books shaped like Gutenberg's own."""

from __future__ import annotations

import pytest

from poet_tui.errors import PoetError
from poet_tui.gutenberg.stripping import decode_book, strip_licence
from poet_tui.gutenberg.verse_split import SplitReport, split_poems
from tests.helpers import gutenberg_books as books


def poems_of(text: str) -> tuple[list[str], list[str], SplitReport]:
    result = split_poems(strip_licence(text).text)
    return [poem.title for poem in result.poems], [poem.text for poem in result.poems], result.report


def test_the_licence_header_footer_and_credits_are_cut_and_the_header_read() -> None:
    stripped = strip_licence(books.DICKINSON)
    assert stripped.found_start and stripped.found_end and stripped.had_markers
    assert stripped.text.startswith("POEMS\n")  # "Produced by …" went with the header
    assert "Project Gutenberg" not in stripped.text and "FULL LICENSE" not in stripped.text
    assert stripped.text.endswith("The sky is low, the clouds are mean, 9")
    assert stripped.header_fields["title"] == "Poems, Series One"
    assert stripped.header_fields["author"] == "Emily Dickinson"


def test_the_old_small_print_header_and_end_line_are_cut_too() -> None:
    old = (
        "Project Gutenberg Etext of Songs of Innocence\n\nLegal small print here.\n\n"
        "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n\n"
        "THE LAMB.\n\nLittle Lamb, who made thee?\nDost thou know who made thee?\n\n"
        "End of Project Gutenberg's Etext of Songs of Innocence\n"
    )
    stripped = strip_licence(old)
    assert stripped.found_start and stripped.found_end
    assert stripped.text == "THE LAMB.\n\nLittle Lamb, who made thee?\nDost thou know who made thee?"


def test_a_book_without_markers_is_kept_whole_and_says_so() -> None:
    stripped = strip_licence(books.NO_MARKERS)
    assert not stripped.had_markers and stripped.header_fields == {}
    assert stripped.text == books.NO_MARKERS.strip("\n")


def test_crlf_and_a_byte_order_mark_are_normalised() -> None:
    raw = b"\xef\xbb\xbf" + books.SONNETS.replace("\n", "\r\n").encode("utf-8")
    text = decode_book(raw, "book 1041")
    assert "\r" not in text and not text.startswith("\ufeff")
    assert text == books.SONNETS


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [(b"caf\xe9 au lait\n" * 3, "is not UTF-8 text (a bad byte at offset 3, line 1)"),
     (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not text (it holds NUL bytes)")],
)  # fmt: skip
def test_a_file_that_is_not_utf8_text_is_one_sentence(raw: bytes, fragment: str) -> None:
    with pytest.raises(PoetError, match="book 7") as caught:
        decode_book(raw, "book 7")
    assert fragment in str(caught.value)


def test_a_book_of_verse_is_split_into_its_poems_with_front_and_back_matter_dropped() -> None:
    titles, texts, report = poems_of(books.DICKINSON)
    assert titles == [
        "I. SUCCESS",
        "Our share of night to bear",  # a numeral alone is no title: the first line is, as indexes do
        "III. ROUGE ET NOIR",
        "A bird came down the walk",
        "The sky is low, the clouds are mean",
    ]
    assert texts[0] == (
        "Success is counted sweetest\nBy those who ne'er succeed.\nTo comprehend a nectar\nRequires sorest need.\n\n"
        "Not one of all the purple host\nWho took the flag to-day\nCan tell the definition,\nSo clear, of victory,\n\n"
        "As he, defeated, dying,\nOn whose forbidden ear\nThe distant strains of triumph\nBreak, agonized and clear!"
    )
    assert texts[4].split("\n")[:2] == ["The sky is low, the clouds are mean,", "  A travelling flake of snow"]
    everything = "\n".join(texts)
    for dropped in ("Emerson", "Roberts Brothers", "HIGGINSON", ", 7", "CONTENTS", "LIFE."):
        assert dropped not in everything
    assert report.poems == 5 and report.lines == 44
    assert {"TITLE PAGE", "CONTENTS", "PREFACE", "INDEX OF FIRST LINES"} <= set(report.matter_sections)
    assert report.summary().startswith("5 poems (44 lines); dropped ")


def test_numbered_sonnets_keep_their_titles_lines_and_indentation() -> None:
    titles, texts, report = poems_of(books.SONNETS)
    assert titles == ["SONNET XVIII", "SONNET CXVI"]
    assert [len(text.split("\n")) for text in texts] == [14, 14]
    assert texts[0].endswith(
        "  So long as men can breathe or eyes can see,\n  So long lives this, and this gives life to thee."
    )
    assert report.prose_sections == 0


def test_poems_parted_only_by_wide_gaps_are_told_apart() -> None:
    titles, texts, _ = poems_of(books.GAPS)
    assert titles == [
        "Tell me not, in mournful numbers",
        "The day is done, and the darkness",
        "I shot an arrow into the air",
    ]
    assert texts[0].count("\n\n") == 1  # its two stanzas stay one poem


def test_a_novel_yields_no_poems_and_says_it_dropped_prose() -> None:
    titles, _, report = poems_of(books.NOVEL)
    assert titles == [] and report.prose_sections >= 2
    assert report.summary().startswith("no poems; dropped ")


def test_long_verse_lines_stay_verse_and_long_prose_goes() -> None:
    """Whitman's long lines wrap with deeper-indented continuations, hexameters fill the width with every line
    capitalised: both are verse. A novel's dialogue is prose however its lines begin."""
    whitman = (
        "SONG OF MYSELF.\n\n\n"
        "I celebrate myself, and sing myself,\nAnd what I assume you shall assume,\n"
        "For every atom belonging to me as good belongs to you.\n\n"
        "My tongue, every atom of my blood, form'd from this soil, this air,\n"
        "Born here of parents born here from parents the same, and their\n    parents the same,\n"
        "I, now thirty-seven years old in perfect health begin,\nHoping to cease not till death.\n"
    )
    evangeline = (
        "EVANGELINE.\n\n"
        "This is the forest primeval. The murmuring pines and the hemlocks,\n"
        "Bearded with moss, and in garments green, indistinct in the twilight,\n"
        "Stand like Druids of eld, with voices sad and prophetic,\n"
        "Stand like harpers hoar, with beards that rest on their bosoms.\n"
    )
    dialogue = (
        "CHAPTER I.\n\n"
        '"Well, Prince, so Genoa and Lucca are now just family estates of the\n'
        "Buonapartes. But I warn you, if you don't tell me that this means war,\n"
        "if you still try to defend the infamies and horrors perpetrated by that\n"
        "Antichrist--I really believe he is Antichrist--I will have nothing more\n"
        'to do with you and you are no longer my friend."\n'
    )
    assert [len(result.poems) for result in map(split_poems, (whitman, evangeline, dialogue))] == [1, 1, 0]
    assert "\n    parents the same," in split_poems(whitman).poems[0].text


def test_separators_notes_and_contents_lists_are_not_poems() -> None:
    text = (
        "CONTENTS\n\n  The Lamb ........ 3\n  The Tyger ........ 5\n\n\n\n"
        "THE LAMB.\n\nLittle Lamb, who made thee?\nDost thou know who made thee?\n\n"
        "[Illustration: a lamb in a meadow]\n\n"
        "      *       *       *       *       *\n\n"
        "Tyger Tyger, burning bright,\nIn the forests of the night;\n"
    )
    result = split_poems(text)
    assert [poem.text for poem in result.poems] == [
        "Little Lamb, who made thee?\nDost thou know who made thee?",
        "Tyger Tyger, burning bright,\nIn the forests of the night;",
    ]
    assert result.report.matter_sections == ("CONTENTS",)


def test_a_contents_list_without_page_numbers_is_found_by_the_titles_it_lists() -> None:
    poems = "".join(
        f"\n\n\n\n{title.upper()}.\n\n{title} is my song,\nAnd it goes along,\nWith a word or two\n"
        for title in ("Morning", "Evening", "Midnight")
    )
    listing = "\n\n\n\nTHE POEMS\n\n  Morning\n  Evening\n  Midnight\n"
    result = split_poems(listing + poems)
    assert [poem.title for poem in result.poems] == ["MORNING", "EVENING", "MIDNIGHT"]
    assert "CONTENTS OR INDEX" in result.report.matter_sections


def test_the_report_reads_as_a_sentence() -> None:
    assert SplitReport(412, 9870, prose_sections=3).summary() == "412 poems (9,870 lines); dropped 3 prose sections"
    assert SplitReport(1, 2).summary() == "1 poem (2 lines)"
    report = SplitReport(2, 8, prose_sections=1, matter_sections=("CONTENTS", "PREFACE"), fragments=1)
    assert report.summary() == (
        "2 poems (8 lines); dropped 1 prose section, 2 front/back matter sections (CONTENTS, PREFACE) "
        "and 1 fragment under 2 lines"
    )


@pytest.mark.parametrize("text", ["", "\n\n\n", "   \n", "* * *", "I.\n\nII.\n\nIII.", "x"])
def test_empty_and_odd_texts_split_into_nothing_without_failing(text: str) -> None:
    assert split_poems(text).poems == []


def test_a_huge_book_splits_in_one_pass() -> None:
    """A thousand poems: every one found, none merged (the splitter is linear, not quadratic, in the book)."""
    body = "".join(
        f"\n\n\n\n{number}.\n\nLine one of poem {number} is here,\nAnd line two follows near.\n"
        for number in range(1, 1001)
    )
    result = split_poems(body)
    assert result.report.poems == 1000 and result.poems[999].title == "Line one of poem 1000 is here"


def test_a_dedication_and_a_prose_argument_go_and_the_long_poem_stays_whole() -> None:
    """Laid out as Gutenberg's Lucrece: a byline, an indented dedication in capitals, a prose letter, THE
    ARGUMENT in prose, then the poem's stanzas under no heading at all."""
    text = (
        "THE RAPE OF LUCRECE\n\nby William Shakespeare\n\n\n\n\n"
        "                      TO THE\n\n          RIGHT HONOURABLE HENRY WRIOTHESLY,\n\n"
        "THE love I dedicate to your Lordship is without end; whereof this\n"
        "pamphlet, without beginning, is but a superfluous moiety.  The\n"
        "warrant I have of your honourable disposition, not the worth of\n"
        "my untutored lines, makes it assured of acceptance.\n\n\n\n"
        "                        THE ARGUMENT.\n\n"
        "LUCIUS TARQUINIUS (for his excessive pride surnamed Superbus),\n"
        "after he had caused his own father-in-law, Servius Tullius, to be\n"
        "cruelly murdered, and, contrary to the Roman laws and customs,\n"
        "not requiring or staying for the people's suffrages, had\n"
        "possessed himself of the kingdom, went to besiege Ardea.\n\n\n\n"
        "From the besieged Ardea all in post,\nBorne by the trustless wings of false desire,\n"
        "Lust-breathed Tarquin leaves the Roman host,\nAnd to Collatium bears the lightless fire\n\n"
        "Haply that name of chaste unhapp'ly set\nThis bateless edge on his keen appetite;\n"
    )
    result = split_poems(text)
    assert [poem.title for poem in result.poems] == ["From the besieged Ardea all in post"]
    assert result.poems[0].text.count("\n") == 6 and "Lordship" not in result.poems[0].text
    assert result.report.prose_sections == 2 and "TITLE PAGE" in result.report.matter_sections
