"""Word-level repairs of OCR text in the merchant block: region names and trade words.

Small thermal print makes OCR swap one letter for a look-alike ("HARDWAKE",
"SCLANGOR") or read a lower-case "l" as a capital "I" ("WorId"). A word is put
back only when it is one look-alike letter away from a word of a short, general
vocabulary (the words shops print in their names, the regions of an address):
never a merchant or street of any data set.

Two things live here:

- :func:`repair_words` puts back a misread vocabulary word (one letter of a known
  look-alike pair, same length, six letters or more) and an ``I`` read for ``l``
  inside a lower-case word;
- :func:`place_only` tells a row that is only a region or country ("JOHOR",
  "SELANGOR DARUL EHSAN", "MALAYSIA"): the last row of an address, never a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["NAME_WORDS", "PLACE_WORDS", "place_only", "repair_words"]

REGIONS = (
    # Malaysia: states, federal territories and the states' formal titles.
    "johor", "kedah", "kelantan", "melaka", "malacca", "negeri", "sembilan", "pahang",
    "penang", "pulau", "pinang", "perak", "perlis", "sabah", "sarawak", "selangor",
    "terengganu", "kuala", "lumpur", "labuan", "putrajaya", "wilayah", "persekutuan",
    "darul", "ehsan", "takzim", "ta'zim", "aman", "makmur", "naim", "khusus", "ridzuan",
    "darussalam", "federal", "territory",
    # Neighbouring countries' regions printed the same way.
    "singapore", "jakarta", "bangkok", "brunei",
)  # fmt: skip
"""Region words an address ends with: Malaysian states and territories and their titles."""

COUNTRIES = (
    "malaysia", "singapore", "indonesia", "thailand", "philippines", "vietnam", "brunei",
    "india", "china", "taiwan", "japan", "korea", "australia", "canada", "ireland",
    "germany", "france", "spain", "italy", "netherlands", "belgium", "switzerland",
    "austria", "portugal",
)  # fmt: skip

PLACE_WORDS = frozenset(REGIONS) | frozenset(COUNTRIES)

NAME_WORDS = frozenset(
    (
        "enterprise", "enterprises", "trading", "restaurant", "restoran", "supermarket",
        "minimarket", "hardware", "pharmacy", "company", "pasaraya", "perniagaan",
        "stationery", "bookstore", "electrical", "services", "service", "industries",
        "international", "holdings", "kitchen", "bakery", "market", "marketing",
        "engineering", "machinery", "station", "corporation",
    )
)  # fmt: skip
"""Trade words of business names (six letters or more are repaired)."""

MIN_REPAIR = 6
"""Shorter words are left alone: one changed letter in a short word is too often a real word."""

_LOOK_ALIKE = (
    "KR", "KX", "RB", "EC", "EF", "CG", "CO", "GO", "OD", "OQ", "DB", "B8", "E8", "BE",
    "MN", "NH", "MH", "UV", "IL", "IJ", "LJ", "IT", "O0", "D0", "S5", "Z2", "I1", "L1",
    "AR", "A4", "G6", "T7",
)  # fmt: skip
"""Pairs of capitals that OCR reads one for the other on small print."""
_PAIRS = frozenset((pair[i], pair[1 - i]) for pair in _LOOK_ALIKE for i in (0, 1))

_TOKEN = re.compile(r"[A-Za-z0-9']+")


def _vocabulary_match(word: str, vocabulary: Iterable[str]) -> str | None:
    """The vocabulary word ``word`` is one look-alike letter away from, if exactly one."""
    upper = word.upper()
    found: str | None = None
    for known in vocabulary:
        if len(known) != len(upper) or len(known) < MIN_REPAIR:
            continue
        target = known.upper()
        diffs = [(a, b) for a, b in zip(upper, target, strict=True) if a != b]
        if len(diffs) == 1 and diffs[0] in _PAIRS:
            if found is not None and found != target:
                return None  # two candidates: leave the word as read
            found = target
    return found


def _as_cased(word: str, target: str) -> str:
    if word.isupper() or not any(ch.isalpha() for ch in word):
        return target
    if word[:1].isupper() and word[1:].islower():
        return target.capitalize()
    return target.lower() if word.islower() else target


def repair_words(text: str, vocabulary: Iterable[str]) -> str:
    """``text`` with misread vocabulary words and lower-case ``l`` read as ``I`` put back."""
    words = tuple(vocabulary)
    known = {w.upper() for w in words}

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.upper() in known or not any(ch.isalpha() for ch in word):
            return word
        target = _vocabulary_match(word, words)
        return word if target is None else _as_cased(word, target)

    # "WorId", "HoteI": a capital I after two lower-case letters is a lower-case l (first,
    # so that "ServIces" becomes "Servlces" and then the vocabulary's "Services").
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"(?<=[a-z]{2})I+(?=[a-z]|\b)", lambda m: "l" * len(m.group(0)), text)
    return _TOKEN.sub(fix, text)


def place_only(text: str) -> bool:
    """Whether every word of ``text`` is a region or country name ("JOHOR", "MALAYSIA");
    initials ("W.P. LABUAN", "SELANGOR D.E.") go with them."""
    tokens = [t.lower() for t in _TOKEN.findall(text) if len(t) > 1]
    return bool(tokens) and all(t in PLACE_WORDS for t in tokens)
