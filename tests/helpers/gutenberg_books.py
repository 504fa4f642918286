"""Small books in the shape of Project Gutenberg's plain-text files, written for the tests (the poems are long
in the public domain): a verse book laid out like Gutenberg's Dickinson, with a title page, a contents list,
a prose preface and an index of first lines; a book of numbered sonnets; a prose novel; a book of untitled poems
parted only by wide gaps; a book with no licence markers; and the catalogue that lists them."""

from __future__ import annotations

LICENCE_HEADER = """The Project Gutenberg eBook of {title}, by {author}

This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever. You may copy it, give it away or re-use it under the terms
of the Project Gutenberg License included with this ebook or online
at www.gutenberg.org. If you are not located in the United States,
you will have to check the laws of the country where you are located
before using this eBook.

Title: {title}

Author: {author}

Release date: May 1, 2004 [eBook #{book_id}]

Language: English

Credits: Produced by Jim Tinsley and David Widger


*** START OF THE PROJECT GUTENBERG EBOOK {upper_title} ***




"""

LICENCE_FOOTER = """



*** END OF THE PROJECT GUTENBERG EBOOK {upper_title} ***

Updated editions will replace the previous one--the old editions will
be renamed.

Creating the works from print editions not protected by U.S. copyright
law means that no one owns a United States copyright in these works,
so the Foundation (and you!) can copy and distribute it in the United
States without permission and without paying copyright royalties.

START: FULL LICENSE

THE FULL PROJECT GUTENBERG LICENSE
PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK
"""


def gutenberg_file(book_id: int, title: str, author: str, body: str) -> str:
    """A book's text between Gutenberg's licence header and footer, as `pg{id}.txt` holds it."""
    fields = {"title": title, "author": author, "book_id": book_id, "upper_title": title.upper()}
    return LICENCE_HEADER.format(**fields) + body.strip("\n") + LICENCE_FOOTER.format(**fields)


DICKINSON_BODY = """
Produced by Jim Tinsley and David Widger




POEMS

by

EMILY DICKINSON


Edited by two of her friends
MABEL LOOMIS TODD and T. W. HIGGINSON

Boston
Roberts Brothers
1890




CONTENTS

  I. LIFE.
    Success is counted sweetest
    Our share of night to bear
    Soul, wilt thou toss again?
  II. NATURE.
    A bird came down the walk
    The sky is low, the clouds are mean




PREFACE.

The verses of Emily Dickinson belong emphatically to what Emerson long
since called "the Poetry of the Portfolio,"--something produced absolutely
without the thought of publication, and solely by way of expression of the
writer's own mind. Such verse must inevitably forfeit whatever advantage
lies in the discipline of public criticism and the enforced conformity to
accepted ways.

In many cases these verses will seem to the reader like poetry torn up by
the roots, with rain and dew and earth still clinging to them, giving a
freshness and a fragrance not otherwise to be conveyed. In other cases, as
in the few poems of shipwreck or of mental conflict, we can only wonder at
the gift of vivid imagination by which this recluse woman can delineate.

THOMAS WENTWORTH HIGGINSON.




I.

LIFE.




I.

SUCCESS.

    Success is counted sweetest
    By those who ne'er succeed.
    To comprehend a nectar
    Requires sorest need.

    Not one of all the purple host
    Who took the flag to-day
    Can tell the definition,
    So clear, of victory,

    As he, defeated, dying,
    On whose forbidden ear
    The distant strains of triumph
    Break, agonized and clear!




II.

    Our share of night to bear,
    Our share of morning,
    Our blank in bliss to fill,
    Our blank in scorning.

    Here a star, and there a star,
    Some lose their way.
    Here a mist, and there a mist,
    Afterwards -- day!




III.

ROUGE ET NOIR.

    Soul, wilt thou toss again?
    By just such a hazard
    Hundreds have lost, indeed,
    But tens have won an all.

    Angels' breathless ballot
    Lingers to record thee;
    Imps in eager caucus
    Raffle for my soul.




II.

NATURE.




I.

    A bird came down the walk:
    He did not know I saw;
    He bit an angle-worm in halves
    And ate the fellow, raw.

    And then he drank a dew
    From a convenient grass,
    And then hopped sidewise to the wall
    To let a beetle pass.




II.

    The sky is low, the clouds are mean,
      A travelling flake of snow
    Across a barn or through a rut
      Debates if it will go.

    A narrow wind complains all day
      How some one treated him;
    Nature, like us, is sometimes caught
      Without her diadem.




INDEX OF FIRST LINES.

    A bird came down the walk, 7
    Our share of night to bear, 3
    Soul, wilt thou toss again? 5
    Success is counted sweetest, 2
    The sky is low, the clouds are mean, 9
"""

DICKINSON = gutenberg_file(12242, "Poems, Series One", "Emily Dickinson", DICKINSON_BODY)

SONNETS_BODY = """
SHAKESPEARE'S SONNETS




SONNET XVIII.

Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date:
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance, or nature's changing course, untrimm'd;
But thy eternal summer shall not fade
Nor lose possession of that fair thou owest;
Nor shall Death brag thou wander'st in his shade,
When in eternal lines to time thou growest:
  So long as men can breathe or eyes can see,
  So long lives this, and this gives life to thee.




SONNET CXVI.

Let me not to the marriage of true minds
Admit impediments. Love is not love
Which alters when it alteration finds,
Or bends with the remover to remove:
O no! it is an ever-fixed mark
That looks on tempests and is never shaken;
It is the star to every wandering bark,
Whose worth's unknown, although his height be taken.
Love's not Time's fool, though rosy lips and cheeks
Within his bending sickle's compass come:
Love alters not with his brief hours and weeks,
But bears it out even to the edge of doom.
  If this be error and upon me proved,
  I never writ, nor no man ever loved.
"""

SONNETS = gutenberg_file(1041, "Shakespeare's Sonnets", "William Shakespeare", SONNETS_BODY)

NOVEL_BODY = """
PRIDE AND PREJUDICE

By Jane Austen




Chapter 1


It is a truth universally acknowledged, that a single man in possession
of a good fortune, must be in want of a wife.

However little known the feelings or views of such a man may be on his
first entering a neighbourhood, this truth is so well fixed in the minds
of the surrounding families, that he is considered the rightful property
of some one or other of their daughters.

"My dear Mr. Bennet," said his lady to him one day, "have you heard that
Netherfield Park is let at last?"

Mr. Bennet replied that he had not.




Chapter 2


Mr. Bennet was among the earliest of those who waited on Mr. Bingley. He
had always intended to visit him, though to the last always assuring
his wife that he should not go; and till the evening after the visit was
paid she had no knowledge of it.
"""

NOVEL = gutenberg_file(1342, "Pride and Prejudice", "Jane Austen", NOVEL_BODY)

# Untitled poems parted by three blank lines, stanzas by one (Gutenberg's usual spacing).
GAPS_BODY = """
Tell me not, in mournful numbers,
Life is but an empty dream!
For the soul is dead that slumbers,
And things are not what they seem.

Life is real! Life is earnest!
And the grave is not its goal;
Dust thou art, to dust returnest,
Was not spoken of the soul.



The day is done, and the darkness
Falls from the wings of Night,
As a feather is wafted downward
From an eagle in his flight.



I shot an arrow into the air,
It fell to earth, I knew not where;
For, so swiftly it flew, the sight
Could not follow it in its flight.
"""

GAPS = gutenberg_file(1365, "Poems", "Henry Wadsworth Longfellow", GAPS_BODY)

NO_MARKERS = """A LITTLE BOOK OF VERSE

THE TYGER.

Tyger Tyger, burning bright,
In the forests of the night;
What immortal hand or eye,
Could frame thy fearful symmetry?
"""

CATALOGUE_HEADER = "Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n"
CATALOGUE = CATALOGUE_HEADER + "".join(
    [
        '12242,Text,2004-05-01,"Poems, Series One",en,"Dickinson, Emily, 1830-1886; '
        'Todd, Mabel Loomis, 1856-1932 [Editor]","American poetry -- 19th century",PS,'
        '"Category: Poetry; Category: American Literature"\n',
        '1041,Text,1997-09-01,Shakespeare\'s Sonnets,en,"Shakespeare, William, 1564-1616",'
        '"Sonnets, English",PR,"Category: Poetry"\n',
        '1342,Text,1998-06-01,Pride and Prejudice,en,"Austen, Jane, 1775-1817",'
        '"England -- Fiction; Courtship -- Fiction",PR,"Category: Novels; Best Books Ever Listings"\n',
        '1365,Text,1998-06-01,"Poems\r\nLongfellow\'s shorter verse",en,"Longfellow, Henry Wadsworth, 1807-1882",'
        '"American poetry",PS,"Category: Poetry"\n',
        '17489,Text,2006-01-01,Les Misérables,fr,"Hugo, Victor, 1802-1885","France -- Fiction",PQ,\n',
        '20000,Sound,2006-12-01,"Poems, read aloud",en,"Dickinson, Emily, 1830-1886",Poetry,,\n',
        '26,Text,1992-01-01,Paradise Lost,en,"Milton, John, 1608-1674","Epic poetry; Bible -- History of Biblical '
        'events -- Poetry",PR,"Category: Poetry; Category: Classics of Literature"\n',
        '4800,Text,2003-01-01,Poèmes saturniens,fr,"Verlaine, Paul, 1844-1896","French poetry",PQ,"Category: Poetry"\n',
    ]
)
