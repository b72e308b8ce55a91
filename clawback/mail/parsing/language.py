"""A cheap language guess: Content-Language, else the script, else common function words.

Good enough to filter and chart on; a real identifier (CLD, fastText) costs more than the whole
parse.  Returns an ISO 639-1 code or "" when unsure.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain

_SAMPLE_WORDS = 150
_MIN_HITS = 3
# Runs rather than single characters: the number of matches (each costs far more than the scan)
# drops from one per character to about one per word.
_KANA = re.compile(r"[\u3040-\u30ff]+")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]+")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]+")
_HEBREW = re.compile(r"[\u0590-\u05ff]+")
_ARABIC = re.compile(r"[\u0600-\u06ff]+")
_GREEK = re.compile(r"[\u0370-\u03ff]+")
_THAI = re.compile(r"[\u0e00-\u0e7f]+")
_LETTER = re.compile(r"[^\W\d_]+")

_STOP_WORDS = {
    "en": "the and you your of to is this that with for are have please be will not from our we",
    "de": "der die das und ist nicht mit sie ich für auf den dem ein eine zu wir ihr ihre bitte sind wird haben",
    "fr": "le la les et est vous nous pour dans une des du qui pas sur avec votre sont ce cette",
    "es": "el los las y es usted para con por una su del al este esta como más sus estimado",
    "it": "il di che è per non sono della gli del questo questa alla nel suo sua ti tuo",
    "pt": "o os e é não você para com uma do da seu sua dos das em mais ao foi",
    "nl": "de het een en van is niet op te dat voor met zijn u uw je wij ook naar",
}
# word -> languages it counts for (shared words like "de" count for each).
_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOP_WORDS.items():
    for _word in _words.split():
        _WORD_LANGS[_word] = (*_WORD_LANGS.get(_word, ()), _lang)


def _count(pattern: re.Pattern[str], sample: str) -> int:
    """Characters of ``sample`` in the pattern's class (the pattern matches runs of them)."""
    return sum(map(len, pattern.findall(sample)))


def _script(sample: str) -> str:
    letters = _count(_LETTER, sample)
    if not letters:
        return ""
    counts = (
        ("ja", _count(_KANA, sample)),
        ("ko", _count(_HANGUL, sample)),
        ("zh", _count(_HAN, sample)),
        ("ru", _count(_CYRILLIC, sample)),
        ("he", _count(_HEBREW, sample)),
        ("ar", _count(_ARABIC, sample)),
        ("el", _count(_GREEK, sample)),
        ("th", _count(_THAI, sample)),
    )
    # Japanese mixes kana with Han; a little kana is decisive.
    if counts[0][1] * 10 >= letters:
        return "ja"
    lang, count = max(counts[1:], key=lambda item: item[1])
    return lang if count * 5 >= letters else ""


def _stop_words(words: list[str]) -> str:
    # Counted in C; a Counter keeps first-seen order, so ties go the same way as a plain loop.
    known = filter(_WORD_LANGS.__contains__, words[:_SAMPLE_WORDS])
    hits = Counter(chain.from_iterable(map(_WORD_LANGS.__getitem__, known)))
    if not hits:
        return ""
    lang = max(hits, key=hits.__getitem__)
    return lang if hits[lang] >= _MIN_HITS else ""


def guess_language(content_language: str, words: list[str]) -> str:
    """``words``: the normalised body (lower-case letters only); ``content_language``: the
    header, if any (RFC 3282)."""
    if content_language:
        primary = content_language.split(",")[0].strip().split("-")[0].lower()
        if primary.isalpha() and 2 <= len(primary) <= 3:
            return primary
    if not words:
        return ""
    sample = " ".join(words[:_SAMPLE_WORDS])
    if not sample.isascii():
        script = _script(sample)
        if script:
            return script
    return _stop_words(words)
