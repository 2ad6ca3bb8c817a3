"""Reading OFX/QFX files as banks really write them, into plain statements.

Real bank downloads bend the specification in every direction (docs/platforms.md#ofx-and-qfx):
SGML 1.x with unclosed data elements or XML 2.x with closed ones; the ``OFXHEADER:100``
block, an ``<?OFX OFXHEADER="200"?>`` line with or without ``<?xml``, or no header at
all (QFX files that start with ``<OFX>``); a ``CHARSET:1252`` that is really UTF-8;
10-digit ``BANKID``s, over-long ``NAME``s, empty ``<MEMO>`` tags; several statements,
and several ``BANKTRANLIST``s in one statement; credit-card (``CCSTMTRS``) and
investment (``INVSTMTRS``) statements beside bank ones. ``ofxtools``' models refuse
much of this (a length over the specification's, a missing header) and crash on some
(``hasattr`` on a credit-card statement recurses), so this module reads the markup
itself, leniently, and validates only what the books need: each transaction's
``FITID``, ``DTPOSTED`` and ``TRNAMT``. A transaction that lacks one is a problem
of that row alone, never of the file.

The markup is read into a small tree: a start tag followed by text is a data
element (its end tag is optional, as SGML allows); a start tag followed by another
tag is an aggregate if the file closes that tag anywhere (aggregates are always
closed), else an empty data element; an end tag closes the nearest open element of
its name and everything opened inside it (a missing end tag costs nothing). Tag
names are case-folded to upper case. Every element keeps the line it starts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from xml.sax import saxutils

#: Statement aggregates, by what aidbooks does with them.
BANK = "STMTRS"
CARD = "CCSTMTRS"
INVESTMENT = "INVSTMTRS"

_TOKEN = re.compile(
    r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[(?P<cdata>.*?)\]\]>"
    r"|<(?P<close>/)?(?P<tag>[A-Za-z][A-Za-z0-9._]*)[^<>]*>",
    re.DOTALL,
)
_ENTITIES = {"&nbsp;": " ", "&apos;": "'", "&quot;": '"'}
#: Aggregates of the messages aidbooks reads: aggregates even where a file forgets
#: to close them.
AGGREGATES = frozenset(
    {
        "OFX",
        "SIGNONMSGSRSV1",
        "SONRS",
        "STATUS",
        "FI",
        "BANKMSGSRSV1",
        "STMTTRNRS",
        "STMTRS",
        "BANKACCTFROM",
        "BANKACCTTO",
        "BANKTRANLIST",
        "STMTTRN",
        "PAYEE",
        "CURRENCY",
        "ORIGCURRENCY",
        "LEDGERBAL",
        "AVAILBAL",
        "CREDITCARDMSGSRSV1",
        "CCSTMTTRNRS",
        "CCSTMTRS",
        "CCACCTFROM",
        "CCACCTTO",
        "INVSTMTMSGSRSV1",
        "INVSTMTTRNRS",
        "INVSTMTRS",
        "INVACCTFROM",
        "INVTRANLIST",
    }
)
#: Records that never nest: a new one closes the one still open.
_RECORDS = frozenset({"STMTTRN", "STMTRS", "CCSTMTRS", "INVSTMTRS", "BANKTRANLIST"})


class OfxError(ValueError):
    """The file holds no OFX body that can be read (the message quotes nothing).

    Attributes:
      cut: The body starts but never ends (``</OFX>`` is missing): the download
        was cut short, and another download may well be whole.
    """

    def __init__(self, message: str, cut: bool = False) -> None:
        super().__init__(message)
        self.cut = cut


@dataclass(slots=True)
class Node:
    """One element: its tag, its text (data elements) and children (aggregates)."""

    tag: str
    line: int
    text: str | None = None
    children: list[Node] = field(default_factory=list)

    def find(self, tag: str) -> Node | None:
        """The first descendant with this tag (depth first, document order)."""
        for node in self.iter(tag):
            if node is not self:
                return node
        return None

    def value(self, tag: str) -> str:
        """The stripped text of the first descendant ``tag`` ("" if none)."""
        node = self.find(tag)
        return (node.text or "").strip() if node is not None else ""

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """This element and its descendants, in document order."""
        stack = [self]
        while stack:
            node = stack.pop()
            if tag is None or node.tag == tag:
                yield node
            stack.extend(reversed(node.children))


def body_start(text: str) -> int | None:
    """Where the ``<OFX>`` element starts, if only a header may come before it.

    Before ``<OFX>`` a file may hold the SGML header block (``KEY:VALUE`` lines),
    processing instructions (``<?xml …?>``, ``<?OFX …?>``) and blank lines;
    anything else means it is not an OFX file.
    """
    match = re.search(r"<OFX>", text, re.IGNORECASE)
    if match is None:
        return None
    prefix = re.sub(r"<\?.*?\?>", "", text[: match.start()], flags=re.DOTALL)
    for raw in prefix.splitlines():
        line = raw.strip().lstrip("\ufeff")
        if line and not re.fullmatch(r"[A-Za-z]+\s*:.*", line):
            return None
    return match.start()


def decode(payload: bytes) -> str:
    """The file as text: UTF-8 if it is (whatever ``CHARSET`` says), else Windows-1252."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def parse(text: str) -> Node:
    """The ``<OFX>`` element of a file's text, read leniently (see the module doc).

    Raises:
      OfxError: there is no ``<OFX>`` body after the header.
    """
    start = body_start(text)
    if start is None:
        raise OfxError("no <OFX> element after the header")
    body = text[start:]
    if not re.search(r"</OFX\s*>", body, re.IGNORECASE):
        raise OfxError("the file ends before </OFX>", cut=True)
    closed = {m.group(1).upper() for m in re.finditer(r"</([A-Za-z][A-Za-z0-9._]*)", body)}
    closed |= AGGREGATES
    line = text.count("\n", 0, start) + 1
    root = Node("#document", line)
    stack = [root]
    pending: Node | None = None  # a start tag whose text has not been seen yet
    position = 0
    for match in _TOKEN.finditer(body):
        between = body[position : match.start()]
        if pending is not None and between.strip():
            pending.text = saxutils.unescape(between.strip(), _ENTITIES)
            stack.pop()  # a data element: its end tag is optional
            pending = None
        line += body.count("\n", position, match.start())
        position = match.end()
        tag = match.group("tag")
        if tag is None:
            cdata = match.group("cdata")
            if cdata is not None and pending is not None:
                pending.text = cdata.strip()
                stack.pop()
                pending = None
            line += match.group(0).count("\n")
            continue
        tag = tag.upper()
        if match.group("close"):
            if pending is not None and pending.tag == tag:
                stack.pop()  # <NAME></NAME>: an empty data element
                pending = None
                continue
            if pending is not None and pending.tag not in closed:
                stack.pop()
            pending = None
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:
                    del stack[depth:]
                    break
            continue
        if pending is not None and pending.tag not in closed:
            stack.pop()  # <MEMO> then another tag, and no </MEMO> anywhere: empty
        if tag in _RECORDS:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:  # the previous one was never closed
                    del stack[depth:]
                    break
        node = Node(tag, line)
        stack[-1].children.append(node)
        stack.append(node)
        pending = node
        line += match.group(0).count("\n")
    tail = body[position:].strip()
    if pending is not None and tail:
        pending.text = saxutils.unescape(tail, _ENTITIES)
    ofx = root.find("OFX")
    if ofx is None:  # pragma: no cover - body_start found it
        raise OfxError("no <OFX> element after the header")
    return ofx


def statements(ofx: Node) -> list[Node]:
    """Every statement of the file (bank, credit card, investment), in file order."""
    return [node for node in ofx.iter() if node.tag in (BANK, CARD, INVESTMENT)]


def transactions(statement: Node) -> list[Node]:
    """Every transaction of a statement, over all its transaction lists."""
    if statement.tag == INVESTMENT:
        out: list[Node] = []
        for tranlist in statement.iter("INVTRANLIST"):
            out.extend(
                child
                for child in tranlist.children
                if child.tag not in ("DTSTART", "DTEND")
            )
        return out
    return list(statement.iter("STMTTRN"))
