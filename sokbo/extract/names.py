"""Names of people from byline text: roles, e-mails, dates, credentials and brands removed."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from sokbo.extract.text import squash

_MAX_NAME = 40
_MAX_NAMES = 10
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^】]*】|〔[^〕]*〕|<[^<>]*>")
# "(서울=연합뉴스) 홍길동 기자 =" and "워싱턴=홍길동 특파원": dateline before "=", lead after.
# "7 min read", "5 mins": a reading time beside the name; removed before the digits go.
_READING_TIME = re.compile(r"\b[0-9]+\s*(?:min(?:ute)?s?\.?)(?:\s+read\b)?", re.IGNORECASE)
_DATELINE = re.compile(r"^[^=]{0,20}=\s*")
_LEAD_IN = re.compile(r"\s*=\s*$")
# "홍길동 기자 입력 2024.06.20 오후 02:30": a date and its label are not part of a name.
# Digits inside a word ("Rapid7", "jdoe84") are part of it, not a date.
_DATED = re.compile(
    r"(?:(?:입력|수정|승인|등록|송고|발행|업데이트|published|updated|posted(?:\s+on)?)\s*[:：]?\s*"
    r"|[:：]?\s*(?<!\w))[0-9][0-9\s.:/\-년월일시분]*(?:오전|오후|[ap]\.?m\.?(?![a-z]))?",
    re.IGNORECASE,
)
# "Dec 19, 2025", "Sat Dec 20", "Jul 3" beside the name; a bare month only at the end and
# only one that is no first name ("… Miller Dec", not "Theresa May", "April Ryan").
_MONTH_DATE = re.compile(
    r"\b(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?"
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
    r"\s*(?:[0-9]{1,2}(?:st|nd|rd|th)?\b,?\s*(?:[0-9]{4}\b)?|[0-9]{4}\b)"
    r"|\s(?:jan(?:uary)?|feb(?:ruary)?|mar|jun|jul|aug|sep(?:t(?:ember)?)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?)\.?\s*$",
    re.IGNORECASE,
)
# Between names: punctuation, and the word "and" in the languages crawled. A comma is kept
# apart: what follows it may be a credential or a place rather than another person.
_SPLIT = re.compile(r"\s*(?:[;·ㆍ・/|&、]|\s+(?:and|und|et|en|og|och|및|и)\s+)\s*", re.I)
# "insanesnow45", "JWoodguy13": a user name, digits and all, is a forum post's byline.
_HANDLE = re.compile(r"[^\W\d_][\w.-]*[^\W\d_][0-9]{1,4}")
_COMMA = re.compile(r"\s*,\s*")
# ", Home and Digital Security Expert", ", Trial Attorney": after a comma, words ending in a
# job title are the person's role, "and" included, not more people.
_ROLE_AFTER_COMMA = re.compile(
    r",\s*(?:[^,;|·]*?\s)?(?:expert|specialist|writer|editor|reporter|correspondent"
    r"|contributor|analyst|consultant|manager|director|attorney|founder|president|officer"
    r"|engineer|dietitian|nutritionist|strategist|producer|columnist)s?(?=\s*(?:[,;|·]|$))",
    re.IGNORECASE,
)
# "Von Anna Schmidt", "Par Jean Dupont", "Door Jan de Vries", "Di Mario Rossi": "By".
_FOREIGN_BY = re.compile(r"^(?:von|par|por|door|di|av|af|przez|от)\s+(?=[^\W\d_])", re.I)
# "BERLIN - ", "Paris — ": a dateline's place before the byline.
_PLACE_DASH = re.compile(r"^[^\W\d_][\w .'-]{1,25}?\s+[-–—]\s+(?=\w)")
# Share and profile widgets that sit inside byline elements.
_WIDGET = re.compile(
    r"\b(?:twitter|facebook|linkedin|instagram|pinterest|whatsapp|email|e-mail|print|copy"
    r"\s+link|more\s+about|view\s+(?:all\s+)?posts|see\s+all|all\s+posts|bio)\b.*$",
    re.IGNORECASE,
)
# "MS", "Ph.D", "CEPF®", "M.D.": degrees and certifications after a name.
_CREDENTIAL = re.compile(r"(?:[A-Z][A-Za-z]?\.?){1,4}[A-Z]\.?®?|[A-Z]{2,6}®?|Ph\.?D\.?")
_PREFIX = re.compile(
    r"^(?:(?:(?:written|words|posted|reported|story|text|photos?|edited)\s+)?by\b\s*:?\s*"
    r"|(?:글|사진|영상|그래픽|취재|정리|편집|구성)(?:\s*[·ㆍ/,및]\s*(?:글|사진|영상|그래픽|취재|정리|편집|구성))*"
    r"(?:\s*[:=]\s*|\s+)"
    r"|(?:작성자|기자명|기자|저자|글쓴이|필자|author|reporter|writer)\s*[:：]\s*"
    r"|(?:about\s+the\s+)?author\s+(?=[A-Z]))",
    re.IGNORECASE,
)
# "홍길동 기자", "홍길동기자", "홍길동 경제부 선임기자", "홍길동 특파원".
_ROLE_SUFFIX = re.compile(
    r"(?:\s+\S{1,8}부)?\s*(?:(?:선임|수석|전문|객원|인턴|수습|사진|영상|취재|대|부장|차장)\s*)?"
    r"(?:기자|특파원)$"
    r"|\s+(?:논설위원|편집위원|통신원|칼럼니스트|에디터|리포터|앵커|PD|작가|객원기자)$"
)
# Words that are never a person: boilerplate, staff accounts, desks and agencies.
_JUNK = re.compile(
    r"\bmin(?:ute)?s?\.?\s+read\b|\bread\s+more\b|\bfollow\b|\bshare\b|\bsubscribe\b"
    r"|\bpublished\b|\bupdated\b|\bposted\b|\badmin(?:istrator)?\b|\bwebmaster\b|\bsign\s*(?:in|up)\b|\blog\s*(?:in|out)\b|뉴스|편집|온라인|디지털|데스크|닷컴|관리자|운영자"
    r"|기사|제보|구독|무단|저작권",
    re.IGNORECASE,
)
_NOT_A_NAME = {
    "by", "staff", "admin", "administrator", "editor", "editors", "webmaster", "guest",
    "anonymous", "unknown", "none", "null", "user", "author", "reporter", "writer",
    "contributor", "correspondent", "columnist", "newsroom", "name", "home", "posted",
    "익명", "작성자", "기자",
    "특파원", "reuters", "ap", "afp", "associated press", "bloomberg", "yonhap", "연합",
    "뉴시스", "newsis", "xinhua", "efe", "dpa", "upi", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january", "february", "march",
    "september", "october", "november", "december", "mon", "tue", "wed", "thu", "fri",
    "sat", "sun", "undefined",
}  # fmt: skip
# Job titles that, after a full name, begin its role rather than continue it.
_TITLE_WORDS = {
    "senior", "chief", "former", "lead", "head", "executive", "principal", "director",
    "sr.", "sr", "founder", "co-founder", "cofounder",
    "ceo", "cto", "cfo", "coo", "vp", "president",
    "manager", "architect", "consultant", "expert", "specialist", "strategist", "analyst",
    "representative", "engineer", "developer", "designer", "officer", "editor", "writer",
    "reporter", "contributor", "researcher", "professor", "edited", "reviewed",
}  # fmt: skip
# Words a byline element runs on into: a verb of the next sentence, a widget label.
_TRAILING = {
    "is", "on", "this", "view", "edited", "written", "reviewed", "do", "it", "sponsored",
    "was", "has", "with", "travel", "content",
}  # fmt: skip
_MONTH_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
}  # fmt: skip
# Words that make a byline an organisation or a desk, not a person ("The Investopedia Team",
# "Flatworld Solutions Editorial", "SmartEtailing Inc"); agencies are in _NOT_A_NAME.
_ORGANISATION = re.compile(
    r"^the\s|\b(?:editorial|editors|team|staff|desk|inc|llc|ltd|gmbh|corp|university|college"
    r"|institute|company|solutions|community|marketing|media|group|agency|foundation|official)\b|©",
    re.IGNORECASE,
)
# Last words of a byline that name a group: "The Pricing Team", "Metro Desk" is nobody.
_GROUP_WORDS = {"team", "desk", "editors", "newsroom"}
# Lower-case words that may stand inside a Latin name ("Ludwig van Beethoven").
PARTICLES = {
    "al", "bin", "da", "das", "de", "del", "den", "der", "di", "dos", "du", "la", "le", "van",
    "von",
}  # fmt: skip
_ROLE_WORDS = {
    "senior", "staff", "writer", "reporter", "correspondent", "editor", "contributor",
    "columnist", "chief", "political", "foreign", "deputy", "managing", "associate",
    "contributing", "special", "news", "desk", "team", "the", "and", "of", "at", "for",
    "business", "sports", "tech", "technology", "science", "health", "opinion", "guest",
}  # fmt: skip


# Words that join two names in a byline.
JOINERS = {"and", "und", "et", "&", "og", "och", "en"}


def names(
    texts: Iterable[str], site: Sequence[str] = (), structured: bool = False
) -> tuple[str, ...]:
    """The people named in byline texts, de-duplicated in order of first appearance.

    "글·사진 홍길동 기자 hong@yna.co.kr" -> ("홍길동",); "By Jane Doe and John Roe" ->
    ("Jane Doe", "John Roe"). Anything that is not plausibly a person's name is dropped:
    e-mails, URLs, "5 Minute Read", dates, "Staff", "관리자", the `site`'s own names.
    A `structured` text (JSON-LD, meta) is meant as a name: a lower-case handle such as
    "jdoe" or "jane doe" is kept there, and refused in running text.
    """
    refused = {_key(b) for b in site} | _NOT_A_NAME
    seen: dict[str, str] = {}
    for text in texts:
        if _key(html.unescape(text)) in refused:
            continue  # the site's own name ("Rapid7"), before cleaning could disguise it
        parts = _split(text)
        for name in parts:
            # One capitalised word amid other text is as often a section, brand or widget
            # label ("Wellness, Prevention", "By Canvas Team") as a person; a byline that
            # is only "Amanda" (or "Maria & Katerina") is kept, and so is a one-word name in
            # metadata.
            others = [w for w in html.unescape(text).split() if w.casefold() not in JOINERS]
            lone = len(name.split()) == 1 and name.isascii() and (len(others) > 2 or "," in text)
            if lone and not structured:
                continue
            if _is_name(name, refused, structured):
                seen.setdefault(_key(name), name)
    return tuple(seen.values())[:_MAX_NAMES]


def _split(text: str) -> list[str]:
    # Some CMSs escape twice: "Maria &amp; Katerina" reaches us with its entity intact.
    text = _URL.sub(" ", _EMAIL.sub(" ", html.unescape(text)))
    text = squash(_DATED.sub(" ", _MONTH_DATE.sub(" ", _READING_TIME.sub(" ", text))))
    # Twice: "(서울=연합뉴스) [사진]" style groups can nest one level.
    text = _BRACKETED.sub(" ", _BRACKETED.sub(" ", text))
    text = _PREFIX.sub("", _DATELINE.sub("", _LEAD_IN.sub("", squash(text))))
    text = _WIDGET.sub("", _FOREIGN_BY.sub("", _PLACE_DASH.sub("", text)))
    text = _ROLE_AFTER_COMMA.sub("", text)
    parts: list[str] = []
    for group in _SPLIT.split(text):
        pieces = _COMMA.split(group)
        parts.append(_clean(pieces[0]))
        for piece in pieces[1:]:
            # "Jane Doe, MS", "Jane Doe, Berlin", "Jane Doe, Dietitian": after a full name a
            # single word is a credential, place or role; "Doe, Roe" lists two people.
            if len(parts[-1].split()) > 1 and len(piece.split()) == 1:
                continue
            parts.append(_clean(piece))
    return parts


def _clean(part: str) -> str:
    part = squash(_DATELINE.sub("", _LEAD_IN.sub("", part)))
    for _ in range(2):
        part = _PREFIX.sub("", part).strip(" .:;,-=*\"'“”‘’")
        part = _ROLE_SUFFIX.sub("", part).strip()
    words = part.strip(" •|»›–—-").split()
    if len(words) > 1 and words[-1].casefold() in _GROUP_WORDS:
        return ""  # a team or desk; trimming its last word would leave a false name
    half = len(words) // 2
    if len(words) % 2 == 0 and words[:half] == words[half:]:
        words = words[:half]  # "Kimber Streams Kimber Streams": name and avatar alt text
    latin = part.isascii() or all(w.isalpha() or "-" in w for w in words)
    # "Preetam Jinka Co-founder", "Keith Barry Senior Autos": a title after a full name.
    titled = [i for i, w in enumerate(words) if i >= 2 and w.casefold() in _TITLE_WORDS]
    if latin and titled:
        words = words[: titled[0]]
    # "Jane Doe Staff Writer", "Eric Ries Is", "Daniel Renfrow April": a Latin name followed
    # by its role, the sentence after it, or the month of its date.
    while (
        len(words) > 1
        and latin
        and (
            words[-1].casefold() in _ROLE_WORDS | _TRAILING
            or (len(words) > 2 and words[-1].casefold() in _MONTH_WORDS)
        )
    ):
        words.pop()
    return " ".join(words)


def _is_name(name: str, refused: set[str], structured: bool = False) -> bool:
    if not 2 <= len(name) <= _MAX_NAME or _key(name) in refused:
        return False
    digits = any(char.isdigit() for char in name) and not _HANDLE.fullmatch(name)
    if digits or re.search(r"[@=<>{}#:/\\]|://", name):
        return False
    if _JUNK.search(name) or not any(char.isalpha() for char in name):
        return False
    if _CREDENTIAL.fullmatch(name) or _ORGANISATION.search(name):
        return False
    words = name.split()
    if len(words) > 5 or all(w.casefold().strip(".") in _ROLE_WORDS for w in words):
        return False
    if words[0].casefold() in _TITLE_WORDS:
        return False  # "Senior Director", "Chief Architect": a role standing on its own
    # Latin names are capitalised; "Jane Doe is a" or "posted in politics" is prose.
    return structured or not name.isascii() or capitalised(name)


def capitalised(name: str) -> bool:
    """Written as Latin names are: each word capitalised, bar particles ("van", "de")."""
    return all(
        w[0].isupper() or w.casefold() in PARTICLES or re.match(r"[a-z]'[A-Z]", w)
        for w in name.split()
    )


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()
