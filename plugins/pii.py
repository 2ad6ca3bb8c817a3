"""Detectors of personal data, shared by the no-pii plugin, the importers and check.

A :class:`Scanner` answers "what kinds of personal data does this text hold?" — it
never returns or logs the matched text itself, so a finding can be printed without
leaking what it found. Every part of aidbooks that looks for personal data uses it:
the ``no-pii`` rule on every string the books hold, the importers before they write
anything, and ``aidbooks check`` on the raw text of the ledger files (comments are
invisible to plugins).

Interface::

    scanner = Scanner(allow=policy.privacy.allow, organisations=policy.privacy.organisations)
    scanner.findings("Rent for Maria, call 612-555-0147")
    # [Finding(kind='name', start=9, end=14), Finding(kind='phone', start=21, end=33)]
    scanner.kinds("Rent for Maria")          # ('name',)   cached per string
    scanner.identifier_kinds("maria-garcia.pdf")   # ('name',)  tags, links, file names
    scanner.is_organisation("County Court Clerk")  # True if listed in the policy
    describe(("phone", "email"))             # 'a phone number and an e-mail address'

``identifier_kinds``, ``is_organisation``, ``slugify``, ``fold`` and ``CODES_ONLY`` are additions to the first version of
this interface; ``findings``, ``kinds``, ``describe`` and ``KIND_NAMES`` are unchanged.

What is found (the kinds, see :data:`KIND_NAMES`):

* ``phone``: phone numbers, US and international, found by Google's libphonenumber
  (``phonenumbers.PhoneNumberMatcher``, only called, and only imported, when the text
  holds a run of at least seven digits), and shorter local numbers after a word like "tel", "cell",
  "WhatsApp".
* ``email``: e-mail addresses, also written "name [at] gmail [dot] com".
* ``handle``: payment and social handles: ``@name``, ``$cashtag`` (never "$50"),
  ``venmo.com/u/…``, ``paypal.me/…``, ``cash.app/$…``, "venmo: name".
* ``address``: a number, a street name and a street word (St, Ave, Road, Blvd,
  Way…); Spanish street words before the name and a number (Calle, Avenida, Av.,
  Camino, Calzada, Privada, Carretera…); apartment or unit numbers (Apt 4B, Unit 3,
  depto. 2); P.O. boxes; "MN 55404".
* ``zip``: ZIP+4 codes (55404-1234).
* ``a-number``: alien registration numbers (A123456789, A-123-456-789, A# …).
* ``ssn``: Social Security numbers and ITINs (123-45-6789, or nine digits after
  "SSN", "ITIN", "seguro social").
* ``id-number``: passport, consular ID (matrícula), driver's licence, state ID,
  green card, work permit, CURP numbers, after the word that names them.
* ``case-number``: court case, booking, inmate, docket numbers after their word,
  and USCIS receipt numbers (EAC1234567890).
* ``plate``: licence plates after "plate", "placa", "tag #".
* ``card``: card or account digits: "*1234", "x1234", "ending in 1234",
  "Visa Debit 0987", "acct 12345678", and whole card numbers (Luhn-checked).
* ``dob``: dates of birth: "DOB", "born", "date of birth", "fecha de nacimiento",
  "nacido el" followed by a date (any format, ISO included) or a year.
* ``name``: personal names, from shipped lists of common given names and surnames
  of the communities aidbooks serves (English, Spanish, Somali, Hmong, Arabic; in
  ``plugins/data/``). Many names are also ordinary words (Grant, Hope, May, Rosa,
  Paz, Luz…) or places and brands (Austin, Target): those are findings only next to
  another name ("Rosa Hernández"), after a title or kinship word ("Sra. Luz",
  "abuela Rosa") or before "family". Other names are findings when capitalised
  ("Rent for Maria", "Groceries Abdi"), in lower case after a cue ("para maria") or
  as a given name and surname ("maria garcia"). Names of businesses, institutions
  and places are not personal names: "Lincoln Elementary", "Brian Coyle Community
  Center", "Santa Maria", "Trader Joe's" (a list of known phrases, and any name
  followed by a word like School, Center, Clinic, Church, Market, County).

Never findings: recipient, volunteer and donor codes (``R-4F7KM-Q9X2H``), amounts,
ISO dates (outside a date of birth), strings listed in ``privacy.allow`` (exactly,
or inside longer text) and the names in ``privacy.organisations``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from importlib import resources
from typing import NamedTuple

#: Human-readable names of the kinds of personal data the detectors know.
KIND_NAMES: dict[str, str] = {
    "phone": "a phone number",
    "email": "an e-mail address",
    "handle": "a payment handle",
    "address": "a street address",
    "zip": "a ZIP+4 code",
    "a-number": "an A-number",
    "ssn": "a Social Security or ITIN number",
    "id-number": "a passport, consular ID or licence number",
    "case-number": "a case, booking or receipt number",
    "plate": "a licence plate",
    "card": "card or account digits",
    "dob": "a date of birth",
    "name": "a personal name",
}


class Finding(NamedTuple):
    """One detection: its kind and where it is in the scanned text."""

    kind: str
    start: int
    end: int


# --------------------------------------------------------------------- folding
def _fold_table() -> dict[int, str]:
    """Map upper case and accented Latin letters to lower-case base letters, 1:1."""
    table: dict[int, str] = {cp: chr(cp + 32) for cp in range(0x41, 0x5B)}
    for cp in range(0xC0, 0x250):
        char = chr(cp)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        ).lower()
        if len(base) == 1 and base != char:
            table[cp] = base
        elif len(char.lower()) == 1 and char.lower() != char:
            table[cp] = char.lower()
    table[0x2019] = "'"  # typographic apostrophe
    return table


_FOLD = str.maketrans(_fold_table())


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Latin accents, keeping every position."""
    return text.translate(_FOLD)


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Replace each span of ``text`` with spaces (positions stay valid)."""
    chars = None
    for start, end in spans:
        if chars is None:
            chars = list(text)
        chars[start:end] = " " * (end - start)
    return text if chars is None else "".join(chars)


# ------------------------------------------------------------ never findings
_CODE = r"\b[RVD]-[0-9A-Z]{5}-[0-9A-Z]{5}\b"
#: Text that holds only codes (``"V-…, V-…"``): never a finding. Use ``fullmatch``.
CODES_ONLY = re.compile(rf"\s*{_CODE}(?:\s*,\s*{_CODE})*\s*")
_NEVER = re.compile(
    rf"{_CODE}"
    r"|(?<![\d/.-])\d{4}-\d{2}-\d{2}(?![\d/-])"  # ISO dates
    # 30.12.2025, 30-12-2025, 12/30/2025: a date's digits run together look like a phone
    r"|(?<![\d./-])(?:0?[1-9]|[12]\d|3[01])(?P<sep>[./-])(?:0?[1-9]|[12]\d|3[01])"
    r"(?P=sep)(?:19|20)\d{2}(?![\d./-])"
    r"|(?<![\w.,])\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w,@])"  # 1,234.56
    r"|(?<![\w.,-])\$?\d+\.\d{2}(?![\w.@])"  # 1234.56
    r"|(?<![\w$])\$\s?\d+(?![\w.@])"  # $50
)

# ---------------------------------------------------------------- contacts
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"|[A-Za-z0-9._%+-]+\s*(?:\(at\)|\[at\]|\{at\})\s*[A-Za-z0-9-]+"
    r"\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z]{2,}"
    r"|(?i:[a-z0-9._%+-]+\s+at\s+(?:gmail|yahoo|hotmail|outlook|icloud|aol|proton|live)"
    r"(?:\s+dot\s+|\.)(?:com|net|me))"
)
_HANDLE = re.compile(
    r"(?<![\w@.])@[A-Za-z_][\w.-]{1,29}[\w]"
    r"|(?<![\w$])\$(?!(?:USD|CAD|MXN|EUR)\b)[A-Za-z][\w-]{1,19}"
    r"|(?i:\b(?:venmo\.com/(?:u/)?|paypal\.me/|paypal\.com/paypalme/|cash\.app/\$?)[\w.-]+)"
    r"|(?i:\b(?:venmo|cash\s?app|paypal|zelle)\s*(?:handle|user(?:name)?|tag|id)?\s*[:=]\s*"
    r"(?:@[\w.$-]{3,}|(?=[\w.$-]*[-_\d.])[\w.$-]{3,}))"
)
_PHONE_WORDS = frozenset(
    "tel telefono phone ph cell cel celular movil mobile whatsapp wa text call llamar "
    "llamada lambarka".split()
)
_DIGITS7 = re.compile(r"\d(?:[\s().-]*\d){6}")
_ANY_DIGIT = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]+")
_EMAIL_WORDS = frozenset({"at", "dot"})
_HANDLE_WORDS = frozenset({"venmo", "paypal", "cash", "app", "zelle", "me"})
_PO_WORDS = frozenset({"box", "apartado", "casilla"})
_ENDING_WORDS = frozenset({"ending", "ends", "terminada", "terminacion", "termina"})
_LOCAL_PHONE = re.compile(
    r"(?i:\b(?:tel|teléfono|telefono|phone|ph|cell|cel|celular|móvil|movil|mobile"
    r"|whatsapp|wa|text|txt|call|llamar|llamada|lambarka)\b)"
    r"\.?\s*[:#]?\s*(\+?\d(?:[\s().-]?\d){6,14})"
)

# --------------------------------------------------------------- addresses
_STREET_WORD = (
    r"street|st|avenue|ave|av|road|rd|boulevard|blvd|drive|dr|lane|ln|court|ct|place|pl"
    r"|way|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|trail|trl|square|sq|loop"
    r"|alley|aly|plaza|plz|pike|row|crescent|cres|path|crossing|xing|ridge|landing"
)
_UNIT = (
    r"(?:,?\s*(?i:apt|apartment|apartamento|unit|ste|suite|depto|dpto|#)\.?\s*#?\s*"
    r"(?:\d+[A-Za-z]?|[A-Za-z]\b))?"
)
_CAP = r"[A-ZÀ-ÖØ-Þ]"
_ADDRESS_EN = re.compile(
    # 1234 N. Maple Grove Ave, Apt 4B   /   500 5th St
    rf"(?<![\w/-])\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+"
    r"(?:(?i:north|south|east|west|n|s|e|w|ne|nw|se|sw)\.?\s+)?"
    rf"(?:(?:{_CAP}[^\W_]*[.']?|\d+(?i:st|nd|rd|th))\s+){{1,4}}"
    rf"(?i:{_STREET_WORD})\b\.?{_UNIT}"
    # 1234 maple ave
    rf"|(?<![\w/-])\d{{1,6}}\s+(?:(?!(?:the|a|an|of|to|for|per|and|in|on|at|from|with)\b)"
    r"[a-z]+\s+){1,2}"
    r"(?:st|ave|rd|blvd|dr|ln|ct|pl|hwy|pkwy|street|avenue|road|drive|lane|boulevard)"
    rf"\b\.?(?=\s*(?:$|[,;)]|apt|unit|#)){_UNIT}"
)
_STREET_WORDS = frozenset(_STREET_WORD.split("|"))
_ADDRESS_ES = re.compile(
    # Calle 5 de Mayo #123, Av. Juárez 45, Camino Real 1200
    r"(?:\b(?:Calle|Avenida|Avda|Av|Camino|Calzada|Calz|Privada|Priv|Callejón|Callejon"
    r"|Carretera|Carr|Paseo|Bulevar|Circuito|Cerrada|Andador|Prolongación|Prolongacion"
    r"|Prol|Carrera|Cra|Diagonal|Transversal|Colonia|Residencial|CALLE|AVENIDA|AV"
    r"|CAMINO)\.?|\bC/)\s*"
    r"(?:[^\W_]+\.?\s+){0,5}?(?:#|(?i:no|núm|num|número|numero|n°|nº)\.?)?\s*"
    r"\d{1,5}[A-Za-z]?\b"
    r"|(?i:\b(?:calle|avenida|av|camino|carretera|privada)\b\.?\s+(?:[^\W_]+\s+){0,4}?"
    r"(?:#|no\.|núm\.|número)\s*\d{1,5}\b)"
)
_SPANISH_STREET_WORDS = frozenset(
    "calle avenida avda av camino calzada calz privada priv callejon carretera carr paseo "
    "bulevar circuito cerrada andador prolongacion prol carrera cra diagonal transversal "
    "colonia residencial c".split()
)
_PO_BOX = re.compile(
    r"(?i:\b(?:p\.?\s?o\.?\s*box|post\s+office\s+box|apartado(?:\s+postal)?|casilla)"
    r"\s*#?\s*\d+)"
)
_UNIT_ONLY = re.compile(
    r"(?i:\b(?:apt|apartment|apartamento|unit|depto|departamento|dpto)\b)\.?\s*#?\s*"
    r"(?:\d+[A-Za-z]?|[A-Z]\b)"
)
_UNIT_WORDS = frozenset("apt apartment apartamento unit depto departamento dpto".split())
_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
_STATE_ZIP = re.compile(r"\b(?:" + "|".join(_STATES) + r")\.?,?\s+\d{5}(?![\d-])")
_STATE_WORDS = frozenset(s.lower() for s in _STATES)
_ZIP4 = re.compile(r"(?<![\d])(?<!\d-)\d{5}-\d{4}(?!\d)(?!-\d)")

# ------------------------------------------------------ government numbers
_SSN = re.compile(
    r"(?<!\w)(?<!\d-)\d{3}-\d{2}-\d{4}(?![\w-])|(?<![\w-])\d{3} \d{2} \d{4}(?![\w-])"
)
_SSN_WORD = re.compile(
    r"(?i:\b(?:ssn|ss\s?#|soc(?:ial)?\.?\s+sec(?:urity)?|seguro\s+social|itin|tin)\b"
    r"\s*(?:no\.?|number|n[uú]mero|#)?\s*[:#]?\s*\d(?:[\s-]?\d){8})"
)
_SSN_WORDS = frozenset("ssn ss soc social seguro itin tin".split())
_A_NUMBER = re.compile(
    r"(?<![\w-])[Aa](?:-|#|\s|-?#\s?)?(?:\d{3}[-\s]?\d{3}[-\s]?\d{3}|\d{8,9})(?![\w-])"
)
_A_NUMBER_WORD = re.compile(
    r"(?i:\b(?:a-?number|alien\s+(?:registration\s+)?(?:number|no|#)|n[uú]mero\s+a"
    r"|n[uú]mero\s+de\s+extranjero)\b\s*[:#]?\s*[Aa]?[-\s]?\d(?:[\s-]?\d){7,8})"
)
_A_NUMBER_WORDS = frozenset("anumber alien numero extranjero".split())
_FILLER = (
    r"(?:[\s:#.-]+(?i:no|nr|number|num|n[uú]mero|de|del|conducir|card|is|es|id|consular))*"
)
_NUMBER_AFTER = r"[\s:#.-]*(?=[A-Za-z0-9-]*\d)([A-Za-z0-9][A-Za-z0-9-]{3,19})\b"
_ID_NUMBER = re.compile(
    r"(?i:\b(?:passport|pasaporte|baasaboor|consular(?:\s+id)?|matr[ií]cula(?:\s+consular)?"
    r"|driver'?s?\s+licen[cs]e|licen[cs]e|licencia(?:\s+de\s+conducir)?|dl|cdl"
    r"|(?:state|student|school|photo)\s+id|id\s+card|id\s*(?:no|number|#)"
    r"|identificaci[oó]n|ine|curp|dni|c[eé]dula|green\s+card"
    r"|permanent\s+resident\s+card|ead|work\s+permit|permiso\s+de\s+trabajo|i-94"
    r"|visa\s+(?:no|number|#)|tarjeta\s+de\s+residencia|sasta)(?:(?<=#)|\b))"
    + _FILLER
    + _NUMBER_AFTER
)
_ID_WORDS = frozenset(
    """passport pasaporte baasaboor consular matricula driver license licence licencia dl cdl
    id identificacion ine curp dni cedula green permanent ead permit permiso i visa tarjeta
    sasta""".split()
)
_CURP = re.compile(r"\b[A-Z]{4}\d{6}[HM][A-Z]{5}[A-Z0-9]\d\b")
_CASE_NUMBER = re.compile(
    r"(?i:\b(?:case|caso|booking|inmate|docket|expediente|citation|ticket|warrant"
    r"|cause|jail\s+id|so\s*#|bond\s+(?:no|number|#)|court\s+file|file\s+(?:no|number|#)"
    r"|a-file|receipt\s+(?:notice|number\s+uscis))(?:(?<=#)|\b))" + _FILLER + _NUMBER_AFTER
)
_CASE_WORDS = frozenset(
    """case caso booking inmate docket expediente citation ticket warrant cause jail bond
    court file receipt""".split()
)
_USCIS = re.compile(
    r"\b(?:EAC|WAC|LIN|SRC|NBC|MSC|IOE|YSC|ZLA|ZNK|NSC|TSC|VSC|CSC)\d{10}\b"
)
_PLATE_WORDS = frozenset("plate plates placa placas tablilla tag".split())
_PLATE = re.compile(
    r"(?i:\b(?:licen[cs]e\s+plates?|lic\.?\s*plates?|plates?|placas?|tablilla"
    r"|tag\s*(?:no\.?|number|#)|n[uú]mero\s+de\s+placa)(?:(?<=#)|\b))\s*(?:(?i:no|number|#)\.?)?\s*[:#]?\s*"
    r"(?=[A-Za-z0-9 -]{0,8}\d)([A-Za-z0-9]{1,4}[\s-]?[A-Za-z0-9]{1,4})\b"
)

# ----------------------------------------------------------- card digits
_CARD = re.compile(
    r"(?<![\w*])\*{1,16}[\s-]?\d{4}(?!\d)"
    r"|(?<![A-Za-z0-9])(?:[xX]-?|[xX]{2,16}[\s-]?)\d{4}(?!\d)"
    r"|(?i:\b(?:ending|ends|ending\s+with|ends\s+with)\s+(?:in\s+)?"
    r"|\bterminada\s+en\s+|\bterminaci[oó]n\s+|\btermina\s+en\s+)#?\s*\d{4}(?!\d)"
)
_CARD_WORD = re.compile(
    r"(?i:(?<!gift\s)\b(?:visa|mastercard|master\s?card|mc|amex|american\s+express|discover"
    r"|debit|credit|card|tarjeta|acct|account|cuenta|checking|savings|routing|ebt)\b)"
    r"(?:\s+(?i:debit|credit|card|no|number|num|acct|account|de\s+d[eé]bito))*\.?"
    r"[\s:#-]*(\d{4,17})(?![\d.,]?\d)"
)
_CARD_WORDS = frozenset(
    """visa mastercard master mc amex american discover debit credit card tarjeta acct
    account cuenta checking savings routing ebt""".split()
)
_LONG_NUMBER = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")

# ----------------------------------------------------------- dates of birth
_MONTH = (
    r"(?:septiembre|diciembre|noviembre|september|setiembre|december|february|november|"
    r"febrero|january|october|octubre|agosto|august|abril|april|enero|julio|junio|march|"
    r"marzo|july|june|mayo|sept|abr|ago|apr|aug|dec|dic|ene|feb|jan|jul|jun|mar|may|nov|"
    r"oct|sep)"
)
_DOB = re.compile(
    r"(?i:\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on|\s+in)?"
    r"|fecha\s+de\s+nacimiento|f\.?\s*(?:de\s+)?nac(?:imiento)?\.?|nacid[oa](?:\s+el|\s+en)?"
    r"|cumpleaños|taariikhda\s+dhalashada)(?![\w])\s*[:\-]?\s*"
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:de\s+)?{_MONTH}\.?,?(?:\s+(?:de(?:l)?\s+)?\d{{2,4}})?"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}}|(?:19|20)\d{{2}}\b))"
)

_DOB_WORDS = frozenset(
    "dob d birth birthdate birthday born fecha f nac nacimiento nacido nacida cumpleanos "
    "taariikhda".split()
)

# ------------------------------------------------------------------- names
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_INITIALS = re.compile(r"(?<![\w.])[A-Z]\.\s?(?:[A-Z]\.\s?)*")
_NOT_INITIALS = frozenset({"u.s.", "d.c.", "p.o.", "a.m.", "p.m."})


def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


#: Titles: the next capitalised word is a name, whatever it is ("Sra. Xiomara").
HONORIFICS = _folded(
    "mr mrs ms miss mx dr sr sra srta señor senor señora senora señorita senorita don doña "
    "dona sheikh sheekh imam pastor hermano hermana".split()
)
#: Kinship words: a capitalised name after them is a person ("abuela Rosa", "hooyo Hodan").
KINSHIP = _folded(
    "mom mother mama mamá madre dad father papa papá padre abuela abuelo grandma grandpa "
    "grandmother grandfather granny tía tío tia tio aunt auntie uncle sister brother prima "
    "primo cousin hija hijo daughter son esposa esposo wife husband vecina vecino neighbor "
    "neighbour familia family hooyo aabo eedo habo adeer abti walaal ayeeyo awoowe niam txiv "
    "umm abu bin ibn bint".split()
)
#: Cues: a known (not word-like) name after them is a person, in any case ("para maria").
CUES = _folded(
    "for to from para por paid pay pago pagado pagada by with con via c/o attn de and y "
    "recipient beneficiary".split()
)
#: Words after a name that make it a household ("the Johnson family").
AFTER_CUES = _folded("family familia household hogar kids children niños ninos".split())
#: Words that end an institution's or a place's name: names before them are not people.
ORG_WORDS = _folded(
    """elementary school schools academy college university institute center centre clinic
    clinics hospital health healthcare medical pharmacy church parish mosque masjid temple
    cathedral chapel ministries ministry foundation fund trust market markets mart
    supermarket supermercado store stores shop foods inc llc co corp corporation company ltd
    bank union services society association alliance coalition council network library
    park project office offices law daycare preschool montessori learning restaurant cafe
    bakery panaderia carniceria tienda mercado farmacia iglesia escuela centro clinica
    apartments homes housing properties realty management county city court clerk
    department dept transit energy power electric water utility gas mobile wireless motors
    auto tire garage insurance hall memorial middle high stadium airport station museum
    theater theatre motel hotel inn laundromat cleaners salon dental pediatrics street st
    avenue ave road rd boulevard blvd drive lane way parkway highway township village
    """.split()
)
#: Words that start an institution's name in Spanish or Arabic ("Escuela Benito Juárez",
#: "Iglesia Bautista Hispana", "Masjid An-Nur"): names after them are not people.
ORG_PREFIXES = _folded(
    """iglesia escuela centro clinica tienda mercado farmacia panaderia carniceria casa
    colegio instituto parroquia fundacion asociacion restaurante taqueria supermercado
    hospital masjid jamia markaz madrasa""".split()
)
#: Words before a place's name ("San José", "St. Paul", "Fort Worth", "Lake Harriet").
PLACE_PREFIXES = _folded(
    "san santa santo st saint ste sainte fort ft mount mt lake port los las lady virgen "
    "nuestra our".split()
)
#: Small words allowed inside a name or an institution's name.
PARTICLES = _folded(
    "de del la las los da das do dos di van von al el bin ibn bint abu".split()
)
_CONNECTORS = PARTICLES | {"of", "the", "and", "y", "&", "for", "jr"}

_GIVEN, _SURNAME, _SURNAME_EN, _WEAK = 1, 2, 4, 8
_NAME = _GIVEN | _SURNAME | _SURNAME_EN
_STRONG_SINGLE = _GIVEN | _SURNAME
_PERSON_WORDS = KINSHIP | AFTER_CUES | CUES
_INITIAL_CUES = HONORIFICS | KINSHIP | frozenset({"for", "para", "to"})


class _Lexicon(NamedTuple):
    flags: dict[str, int]
    phrases: re.Pattern[str]


def _data_lines(name: str) -> list[str]:
    text = resources.files("aidbooks.plugins").joinpath("data", name).read_text("utf-8")
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _key(word: str) -> str:
    return fold(word).replace("'", "")


@functools.cache
def _lexicon() -> _Lexicon:
    """Load the shipped name lists once per process."""
    flags: dict[str, int] = {}
    for filename, flag in (
        ("given_names.txt", _GIVEN),
        ("surnames.txt", _SURNAME),
        ("surnames_english.txt", _SURNAME_EN),
        ("common_words.txt", _WEAK),
    ):
        for line in _data_lines(filename):
            key = _key(line)
            flags[key] = flags.get(key, 0) | flag
    phrases = sorted(
        {fold(p) for p in _data_lines("known_phrases.txt")}, key=len, reverse=True
    )
    pattern = re.compile(
        r"(?<![\w'])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w'])"
    )
    return _Lexicon(flags, pattern)


class _Token(NamedTuple):
    start: int
    end: int  # without a possessive 's
    key: str
    flags: int
    cap: bool
    possessive: bool
    gap: str  # the text between the previous token and this one


def _is_name(flags: int) -> bool:
    return bool(flags & (_GIVEN | _SURNAME | _SURNAME_EN))


def _is_strong(flags: int) -> bool:
    return _is_name(flags) and not flags & _WEAK


def _tokens(text: str, folded: str, flags: dict[str, int], mode: str) -> list[_Token]:
    out: list[_Token] = []
    last = 0
    for match in _WORD.finditer(folded):
        start, end = match.span()
        possessive = False
        if end - start > 2 and folded[end - 2 : end] == "'s":
            end -= 2
            possessive = True
        key = folded[start:end].replace("'", "")
        word_flags = flags.get(key, 0)
        if len(key) <= 2:
            word_flags |= _WEAK
        if mode == "lower":
            cap = False
        elif mode == "upper":
            cap = True
        else:
            cap = text[start].isupper()
        out.append(_Token(start, end, key, word_flags, cap, possessive, text[last:start]))
        last = match.end()
    return out


def _adjacent(gap: str) -> bool:
    return gap in (" ", "-", "  ")


def _after_word(gap: str) -> bool:
    """The gap after a cue or title: a space, maybe after a period ("Sra. Rosa")."""
    return gap.strip(" .:") == "" and len(gap) <= 3 and gap != ""


def _could_name(words: set[str], folded: str, flags: dict[str, int]) -> bool:
    """Cheap test: can any name rule fire on a text with these words?"""
    if "'" in folded:  # O'Brien, D'Angelo: look the whole word up too
        words = words | {w.replace("'", "") for w in _WORD.findall(folded) if "'" in w}
    names = 0
    for word in words:
        flag = flags.get(word, 0)
        if flag & _NAME:
            if not flag & _WEAK and len(word) > 2:
                return True
            names += 1
    if words & HONORIFICS:
        return True
    return names >= 2 or (names == 1 and not words.isdisjoint(_PERSON_WORDS))


def _name_findings(text: str, folded: str, words: set[str]) -> list[Finding]:
    lex = _lexicon()
    found: list[Finding] = []
    if "." in text and not words.isdisjoint(_INITIAL_CUES):
        found += _initials(text, folded)
    if not _could_name(words, folded, lex.flags):
        return found
    blanked = [m.span() for m in lex.phrases.finditer(folded)]
    if blanked:
        text = _blank(text, blanked)
        folded = _blank(folded, blanked)
    mode = "upper" if text.isupper() else "lower" if text.islower() else "mixed"
    toks = _tokens(text, folded, lex.flags, mode)
    count = len(toks)
    # Is token i part of an institution's or a place's name?
    masked = [False] * count
    org_ahead = False
    for i in range(count - 1, -1, -1):
        tok = toks[i]
        masked[i] = org_ahead
        joinable = (tok.cap or tok.key in _CONNECTORS) and not tok.possessive
        if tok.key in ORG_WORDS and tok.cap:
            org_ahead = _adjacent(tok.gap) or tok.gap in (" & ", ". ", " ")
        elif joinable and org_ahead:
            org_ahead = tok.gap in (" ", "-", ". ", " & ", "  ")
        else:
            org_ahead = False
    org_behind = False
    for i, tok in enumerate(toks):
        if (
            org_behind
            and (tok.cap or tok.key in _CONNECTORS)
            and tok.gap in (" ", "-", " & ")
        ):
            masked[i] = True
        else:
            org_behind = False
        if tok.cap and tok.key in ORG_PREFIXES:
            org_behind = True
    for i in range(1, count):
        if (
            toks[i - 1].key in PLACE_PREFIXES
            and toks[i - 1].cap
            and _after_word(toks[i].gap)
        ):
            masked[i] = True
    hits: set[int] = set()
    for i, tok in enumerate(toks):
        if masked[i]:
            continue
        f = tok.flags
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < count else None
        # Rule: a capitalised name that is not also a word.
        if tok.cap and _is_strong(f) and f & _STRONG_SINGLE:
            hits.add(i)
            continue
        # Rule: after a title or kinship word.
        if prev is not None and _after_word(tok.gap):
            if prev.key in HONORIFICS and tok.cap and tok.key not in ORG_WORDS:
                hits.add(i)
                continue
            if prev.key in KINSHIP and _is_name(f) and (tok.cap or _is_strong(f)):
                hits.add(i)
                continue
            if (
                prev.key in CUES
                and _is_strong(f)
                and (tok.cap or (f & _GIVEN and len(tok.key) >= 3))
            ):
                hits.add(i)
                continue
        # Rule: before "family" / a possessive English surname ("Johnson's rent").
        if nxt is not None and _is_name(f) and (tok.cap or _is_strong(f)):
            if nxt.key in AFTER_CUES and _adjacent(nxt.gap) and not tok.possessive:
                hits.add(i)
                continue
            if tok.possessive and _is_strong(f) and nxt.cap is False and tok.cap:
                hits.add(i)
                continue
        # Rule: two names in a row ("Rosa Hernández", "Garcia, Maria", "maria garcia").
        if nxt is not None and _is_name(f) and _is_name(nxt.flags) and not masked[i + 1]:
            nf = nxt.flags
            either_strong = _is_strong(f) or _is_strong(nf)
            if tok.cap and nxt.cap and either_strong:
                if _adjacent(nxt.gap) and (
                    f & _GIVEN or (f & (_SURNAME | _SURNAME_EN) and nf & _SURNAME)
                ):
                    hits.update((i, i + 1))
                elif (
                    nxt.gap in (", ", ",") and f & (_SURNAME | _SURNAME_EN) and nf & _GIVEN
                ):
                    hits.update((i, i + 1))
            elif (
                not tok.cap
                and not nxt.cap
                and _is_strong(f)
                and _is_strong(nf)
                and f & _GIVEN
                and nf & (_SURNAME | _SURNAME_EN)
                and _adjacent(nxt.gap)
            ):
                hits.update((i, i + 1))
        # Rule: particles inside a name ("Abu Bakr", "Maria de la Cruz").
        if (
            tok.key in PARTICLES
            and prev is not None
            and nxt is not None
            and (i - 1) in hits
            and _is_name(nxt.flags)
            and nxt.cap
        ):
            hits.update((i, i + 1))
    for i in sorted(hits):
        tok = toks[i]
        if found and _adjacent(tok.gap) and found[-1].end == tok.start - len(tok.gap):
            found[-1] = Finding("name", found[-1].start, tok.end)
        else:
            found.append(Finding("name", tok.start, tok.end))
    return found


def _initials(text: str, folded: str) -> list[Finding]:
    """Initials after a title or cue: "Sra. R.", "for M.G."."""
    found = []
    for match in _INITIALS.finditer(text):
        before = folded[max(0, match.start() - 12) : match.start()].split()
        if before and before[-1].strip(".:") in _INITIAL_CUES:
            if folded[match.start() : match.end()].strip() not in _NOT_INITIALS:
                found.append(Finding("name", match.start(), match.end()))
    return found


# ------------------------------------------------------------------ helpers
def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and 1900 <= int(token) <= 2099


def _digit_count(token: str) -> int:
    return sum(ch.isdigit() for ch in token)


# Codes and dates are never findings; split apart, a date's digits look like a phone.
_CONTEXT_WORDS = (
    _ID_WORDS | _CASE_WORDS | _PLATE_WORDS | _DOB_WORDS | _SSN_WORDS | _A_NUMBER_WORDS
)
_RAW_WORDS = _EMAIL_WORDS | _HANDLE_WORDS
_CODE_RE = re.compile(_CODE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Separators next to a letter split words; between digits they stay (612-555-0147).
_SLUG_SPLIT = re.compile(r"[-_:/.+#^]+(?=[^\W\d_])|(?<=[^\W\d_])[-_:/.+#^]+")


def slugify(text: str) -> str:
    """Turn an identifier (tag, link, account, file name) into words for the scanner.

    ``"maria-garcia_rent.pdf"`` → ``"Maria Garcia Rent Pdf"``; ``"call-612-555-0147"``
    → ``"Call 612-555-0147"``; codes are left out.
    """
    text = _SLUG_SPLIT.sub(" ", _CAMEL.sub(" ", _CODE_RE.sub(" ", text)))
    return " ".join(
        w[:1].upper() + w[1:].lower() if w.isalpha() else w for w in text.split()
    )


def _digit_findings(work: str, words: set[str]) -> list[Finding]:
    """Detections that need a digit: addresses, numbers of every kind, phones."""
    found: list[Finding] = []

    def run(pattern: re.Pattern[str], kind: str) -> None:
        found.extend(Finding(kind, *m.span()) for m in pattern.finditer(work))

    if words & _STREET_WORDS:
        run(_ADDRESS_EN, "address")
    if words & _SPANISH_STREET_WORDS:
        run(_ADDRESS_ES, "address")
    if words & _PO_WORDS:
        run(_PO_BOX, "address")
    if words & _UNIT_WORDS:
        run(_UNIT_ONLY, "address")
    if words & _STATE_WORDS:
        run(_STATE_ZIP, "address")
    seven_digits = _DIGITS7.search(work) is not None
    if seven_digits:  # ZIP+4, SSN, A-numbers and card numbers all have 7 digits or more
        run(_ZIP4, "zip")
        run(_SSN, "ssn")
        if "a" in words:
            run(_A_NUMBER, "a-number")
    if words & _SSN_WORDS:
        run(_SSN_WORD, "ssn")
    if words & _A_NUMBER_WORDS or ("a" in words and "number" in words):
        run(_A_NUMBER_WORD, "a-number")
    for pattern, kind, gate in (
        (_ID_NUMBER, "id-number", _ID_WORDS),
        (_CASE_NUMBER, "case-number", _CASE_WORDS),
        (_PLATE, "plate", _PLATE_WORDS),
    ):
        if not words & gate and not (
            kind == "case-number" and "so" in words and "#" in work
        ):
            continue
        least = 1 if kind == "plate" else 3
        for m in pattern.finditer(work):
            token = m.group(1)
            if not _is_year(token) and _digit_count(token) >= least:
                found.append(Finding(kind, *m.span()))
    if len(work) >= 13:
        run(_USCIS, "case-number")
        if len(work) >= 18:
            run(_CURP, "id-number")
    if "*" in work or words & _ENDING_WORDS or any(not w.strip("x") for w in words):
        run(_CARD, "card")
    if words & _CARD_WORDS:
        for m in _CARD_WORD.finditer(work):
            if not _is_year(m.group(1)):
                found.append(Finding("card", *m.span()))
    if seven_digits:
        for m in _LONG_NUMBER.finditer(work):
            digits = re.sub(r"\D", "", m.group())
            if 13 <= len(digits) <= 19 and digits[0] in "3456" and _luhn(digits):
                found.append(Finding("card", *m.span()))
    if words & _PHONE_WORDS:
        run(_LOCAL_PHONE, "phone")
    if seven_digits:
        import phonenumbers  # noqa: PLC0415 (a slow import, only for texts with 7 digits)

        for match in phonenumbers.PhoneNumberMatcher(work, "US"):
            found.append(Finding("phone", match.start, match.end))
    return found


class Scanner:
    """Finds personal data in text.

    Args:
      allow: Exact strings that are never findings (``privacy.allow``); inside a
        longer text they are skipped too.
      organisations: Organisation names allowed as payees (``privacy.organisations``);
        never findings, alone or inside a text.
    """

    def __init__(
        self, allow: Iterable[str] = (), organisations: Iterable[str] = ()
    ) -> None:
        self.allow = frozenset(allow)
        self.organisations = frozenset(organisations)
        self._org_keys = frozenset(fold(o).strip() for o in self.organisations)
        phrases = sorted(
            {fold(p).strip() for p in self.allow | self.organisations if p.strip()},
            key=len,
            reverse=True,
        )
        self._phrases = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")
            if phrases
            else None
        )
        self._cache: dict[str, tuple[str, ...]] = {}
        self._id_cache: dict[str, tuple[str, ...]] = {}

    def is_organisation(self, name: str) -> bool:
        """True if ``name`` is one of the policy's organisations (case-insensitive)."""
        return fold(name).strip() in self._org_keys

    def findings(self, text: str) -> list[Finding]:
        """Every detection in ``text`` with its position (for raw-text scans)."""
        if not text or text in self.allow or CODES_ONLY.fullmatch(text):
            return []
        folded = fold(text)
        if self._phrases is not None:
            spans = [m.span() for m in self._phrases.finditer(folded)]
            if spans:
                text, folded = _blank(text, spans), _blank(folded, spans)
        # The words of the text decide which detectors can find anything at all.
        words = set(_LETTERS.findall(folded))
        found: list[Finding] = []
        has_digit = _ANY_DIGIT.search(text) is not None
        work = text
        if has_digit:
            if words & _DOB_WORDS:
                found += [Finding("dob", *m.span()) for m in _DOB.finditer(text)]
            work = _blank(text, [m.span() for m in _NEVER.finditer(text)])
        elif "$" in text:
            work = _blank(text, [m.span() for m in _NEVER.finditer(text)])
        if "@" in work or words & _EMAIL_WORDS:
            found += [Finding("email", *m.span()) for m in _EMAIL.finditer(work)]
        if "@" in work or "$" in work or words & _HANDLE_WORDS:
            found += [Finding("handle", *m.span()) for m in _HANDLE.finditer(work)]
        if has_digit:
            found += _digit_findings(work, words)
        if found:
            work = _blank(work, [(f.start, f.end) for f in found])
        if work is not text:
            folded = fold(work)
        found += _name_findings(work, folded, words)
        return _tidy(found)

    def kinds(self, text: str) -> tuple[str, ...]:
        """The sorted distinct kinds of personal data in ``text`` (cached per string)."""
        cached = self._cache.get(text)
        if cached is None:
            cached = tuple(sorted({f.kind for f in self.findings(text)}))
            self._cache[text] = cached
        return cached

    def identifier_kinds(self, text: str) -> tuple[str, ...]:
        """Kinds in an identifier: a tag, link, account name, file name or key.

        Identifiers glue words together (``maria-garcia``, ``MariaGarcia``,
        ``receipt_abdi.pdf``), so the text is scanned split into capitalised words
        (see :func:`slugify`), and as it is when it may hold an e-mail or a handle.
        Cached per string.
        """
        cached = self._id_cache.get(text)
        if cached is None:
            if CODES_ONLY.fullmatch(text):
                return ()
            words = slugify(text)
            kinds = set(self.kinds(words))
            raw_words = _LETTERS.findall(fold(text))
            if (
                "@" in text
                or "$" in text
                or not _RAW_WORDS.isdisjoint(raw_words)
                or (_ANY_DIGIT.search(text) and not _CONTEXT_WORDS.isdisjoint(raw_words))
            ):  # e-mails, handles and "case-2024-CV-88123" keep their punctuation
                kinds.update(self.kinds(text))
            cached = tuple(sorted(kinds))
            self._id_cache[text] = cached
        return cached


#: When two detections overlap, the more specific kind wins over these.
_GENERIC = {"phone": 1, "handle": 1, "name": 2}


def _tidy(found: list[Finding]) -> list[Finding]:
    """Sort findings and drop generic ones inside a more specific one."""
    if len(found) <= 1:
        return found
    found = sorted(set(found), key=lambda f: (f.start, f.kind))
    keep: list[Finding] = []
    for f in found:
        weight = _GENERIC.get(f.kind)
        if weight is not None and any(
            o.start <= f.start and f.end <= o.end and _GENERIC.get(o.kind, 0) < weight
            for o in found
        ):
            continue
        keep.append(f)
    return keep


def describe(kinds: Iterable[str]) -> str:
    """Name kinds for a message: ``"a phone number and an e-mail address"``."""
    names = [KIND_NAMES.get(k, k) for k in kinds]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
