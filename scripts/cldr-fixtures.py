#!/usr/bin/env python3
"""Writes core/tests/fixtures/cldr-money.tsv: how CLDR formats money, according to Babel.

The test oracle for core/src/money.rs (core/src/money/tests.rs) must not come from the
implementation it checks (ICU4X): Babel reads CLDR's own data on its own. Both must be on
the same CLDR version; the script refuses any other.

    python3 -m venv target/cldr-venv
    target/cldr-venv/bin/pip install babel==2.19.0
    target/cldr-venv/bin/python scripts/cldr-fixtures.py    # needs npm on PATH (see below)

Columns: locale (BCP 47), currency (ISO 4217), minor units (an integer in the currency's
ISO 4217 minor unit), text (what CLDR formats: standard currency pattern, the locale's
default numbering system).

What Babel 2.19 gets wrong or leaves out, this script does from CLDR's own data, so that the
rows are what CLDR specifies (UTS #35 part 3, "Number Format Patterns" and "Currencies"):
- the number itself is written here, from the pattern Babel parsed (its affixes, grouping
  sizes) and the locale's symbols Babel imported, rather than by `format_currency`, which
  strips every text between two apostrophes after formatting: an apostrophe group
  separator (de-CH, fr-CH) then loses its groups (`1000000.00`, `9876543'219.87`).
- minimumGroupingDigits: no group separator unless the integer part has at least
  primary grouping + minimumGroupingDigits digits (es, it, pl, pt-PT: `1234,56`, `12.345,67`).
  Babel does not import this field; it is read from CLDR's JSON (cldr-numbers-full on npm,
  the newest there, 48.2.0: `npm pack` into target/cldr-json, a few seconds), the one value
  taken from it.
- currencyDecimal and currencyGroup: the separators CLDR gives for amounts where they differ
  from a number's (de-AT groups amounts with `.`, fr-CH writes their decimals with `.`).
  Babel imports them but never applies them.
- currency spacing: a symbol that ends (or starts) with a letter, next to a digit, is
  separated from it by a no-break space (`BHD 1.234`, `1,23 US$`); CLDR's data says so
  (currencySpacing, and the alphaNextToNumber patterns built from it). Root's rule is
  applied: currencyMatch [[:^S:]&[:^Z:]], surroundingMatch [:digit:], insertBetween U+00A0.
- native digits: Babel writes ASCII digits whatever the numbering system, so locales whose
  default numbering system is not `latn` (ar-EG, ar-SA) are written with `-u-nu-latn`,
  which is what their ASCII rows mean.
Each row Babel's own `format_currency` would write differently only through those rules is
checked against it, so that the number written here is Babel's where Babel is right.
"""

import json
import re
import subprocess
import tarfile
import unicodedata
from decimal import Decimal
from pathlib import Path

import babel
from babel.core import get_cldr_version
from babel import Locale
from babel.numbers import format_currency, get_currency_precision, get_currency_symbol

CLDR_VERSION = "49"
BABEL_VERSION = "2.19.0"
# CLDR's JSON, for the one field Babel does not import (minimumGroupingDigits).
CLDR_JSON = "cldr-numbers-full@48.2.0"

ROOT = Path(__file__).resolve().parent.parent

# The launch locales, then the ones both platforms ship translations or number formats
# for that exercise different separators, symbol places, digits and groupings.
LOCALES = [
    "en-US", "es-US", "en-GB", "cy-GB", "en-IE", "ga-IE",
    "en-CA", "fr-CA", "en-AU", "en-IN", "hi-IN", "es-ES", "es-MX", "es-419",
    "de-DE", "de-AT", "de-CH", "fr-FR", "fr-CH", "it-IT", "nl-NL", "pt-BR", "pt-PT",
    "sv-SE", "nb-NO", "da-DK", "fi-FI", "pl-PL", "cs-CZ", "tr-TR", "ru-RU", "uk-UA",
    "ja-JP", "zh-CN", "zh-Hant-TW", "ko-KR", "ar-EG", "ar-SA", "he-IL", "th-TH",
]
# Currency and its ISO 4217 exponent (the unit of the minor-units column).
CURRENCIES = {"USD": 2, "GBP": 2, "EUR": 2, "JPY": 0, "CAD": 2, "BHD": 3}
MINOR_UNITS = [0, 5, 1234, 123456, 100000000, 987654321987]


def minimum_grouping_digits() -> dict[str, int]:
    """minimumGroupingDigits of each locale, from CLDR's JSON (every locale file there is
    resolved: a default-content locale such as es-ES is its parent's file, `es`)."""
    folder = ROOT / "target/cldr-json"
    name, version = CLDR_JSON.split("@")
    archive = folder / f"{name}-{version}.tgz"
    if not archive.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--loglevel=error", CLDR_JSON, "--pack-destination", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    found = {}
    with tarfile.open(archive) as tar:
        files = {m.name: m for m in tar.getmembers()}
        for tag in LOCALES:
            candidate = tag
            while f"package/main/{candidate}/numbers.json" not in files:
                if "-" not in candidate:
                    raise SystemExit(f"{CLDR_JSON} has no numbers for {tag}")
                candidate = candidate.rsplit("-", 1)[0]
            data = json.load(tar.extractfile(files[f"package/main/{candidate}/numbers.json"]))
            found[tag] = int(data["main"][candidate]["numbers"]["minimumGroupingDigits"])
    return found


def grouped(integer: str, primary: int, secondary: int, min_grouping: int, group: str) -> str:
    """The integer digits with CLDR's grouping: none below primary + minimumGroupingDigits
    digits, then groups of `primary` next to the decimal separator and `secondary` before."""
    if len(integer) < primary + min_grouping:
        return integer
    groups = [integer[-primary:]]
    rest = integer[:-primary]
    while len(rest) > secondary:
        groups.insert(0, rest[-secondary:])
        rest = rest[:-secondary]
    if rest:
        groups.insert(0, rest)
    return group.join(groups)


def unquoted(affix: str) -> str:
    """A pattern's affix with its quoting removed ('' is one apostrophe), as Babel does to
    the whole text; done here to the affixes only."""
    return re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", affix)


def cldr_amount(minor: int, currency: str, exponent: int, locale: Locale,
                min_grouping: int, *, as_babel: bool = False) -> str:
    """A non-negative amount as CLDR formats it with the locale's standard currency pattern
    and Latin digits, before currency spacing. `as_babel` makes Babel's mistakes (no
    minimumGroupingDigits, no currency separators, quotes stripped from the whole text),
    to check that this is Babel's formatting but for them."""
    assert minor >= 0
    pattern = locale.currency_formats["standard"]
    symbols = locale.number_symbols["latn"]
    decimal, group = symbols["decimal"], symbols["group"]
    if not as_babel:
        decimal = symbols.get("currencyDecimal", decimal)
        group = symbols.get("currencyGroup", group)
    primary, secondary = pattern.grouping
    digits = str(minor).rjust(exponent + 1, "0")
    integer, fraction = digits[: len(digits) - exponent], digits[len(digits) - exponent:]
    number = grouped(integer, primary, secondary, 1 if as_babel else min_grouping, group)
    if exponent:
        number += decimal + fraction
    symbol = get_currency_symbol(currency, locale=locale)
    prefix, suffix = (a[0].replace("\u00a4", symbol) for a in (pattern.prefix, pattern.suffix))
    if as_babel:
        return unquoted(prefix + number + suffix)
    return unquoted(prefix) + number + unquoted(suffix)


def spaced(text: str, symbol: str) -> str:
    """CLDR currency spacing (root's rule) around `symbol` in a formatted `text`."""
    def needs_space(symbol_char: str, number_char: str) -> bool:
        category = unicodedata.category(symbol_char)
        return category[0] not in "SZ" and number_char.isdigit()

    at = text.find(symbol)
    if at < 0:
        return text
    before, after = text[:at], text[at + len(symbol):]
    if after and needs_space(symbol[-1], after[0]):
        after = "\u00a0" + after
    if before and needs_space(symbol[0], before[-1]):
        before = before + "\u00a0"
    return before + symbol + after


def main() -> None:
    if get_cldr_version() != CLDR_VERSION or babel.__version__ != BABEL_VERSION:
        raise SystemExit(
            f"need Babel {BABEL_VERSION} (CLDR {CLDR_VERSION}); "
            f"have {babel.__version__} (CLDR {get_cldr_version()})"
        )
    min_grouping = minimum_grouping_digits()
    rows = []
    for tag in LOCALES:
        grouping = min_grouping[tag]
        locale = tag.replace("-", "_")
        if Locale.parse(locale).default_numbering_system != "latn":
            tag += "-u-nu-latn"
        for currency, exponent in CURRENCIES.items():
            # The oracle must use the same decimals as the core (ISO 4217); CLDR's agree
            # for these currencies, and a disagreement would make every row wrong.
            assert get_currency_precision(currency) == exponent, currency
            for minor in MINOR_UNITS:
                amount = Decimal(minor).scaleb(-exponent)
                babel_text = format_currency(amount, currency, locale=locale, numbering_system="latn")
                parsed = Locale.parse(locale)
                mimic = cldr_amount(minor, currency, exponent, parsed, grouping, as_babel=True)
                assert mimic == babel_text, (tag, currency, minor, mimic, babel_text)
                text = cldr_amount(minor, currency, exponent, parsed, grouping)
                text = spaced(text, get_currency_symbol(currency, locale=locale))
                assert "\t" not in text and "\n" not in text, (tag, currency, text)
                rows.append(f"{tag}\t{currency}\t{minor}\t{text}")
    out = ROOT / "core/tests/fixtures/cldr-money.tsv"
    header = (
        f"# Generated by scripts/cldr-fixtures.py with Babel {BABEL_VERSION} "
        f"(CLDR {CLDR_VERSION}; minimumGroupingDigits from {CLDR_JSON}); do not edit.\n"
        "# locale\tcurrency\tminor_units\ttext\n"
    )
    out.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    main()
