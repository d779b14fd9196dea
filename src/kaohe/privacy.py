"""Masking of buyer personal data in chat text: phone numbers, landlines, ID numbers, bank
cards, e-mail addresses, street addresses and cued names.

Used wherever a role may not see buyer data (leads and agents): every web page, download and
export, reports and logs. Admins and supervisors see the text as stored.

How it works: the text is first folded, character for character (full-width digits and
letters to ASCII, the ideographic space to a space, every dash to "-", 。·・ to "."), so that
１３８１２３４５６７８, 138.1234.5678 and ＋86 read like the plain forms; the grammar below
then runs on the folded text, and each match is replaced in the original text at the same
place (folding keeps every character where it was). Rules run in order and a later match
overlapping an earlier one is dropped: numbers first (precise), then addresses, then names.

What is deliberately not masked (each is in tests/test_privacy.py): order numbers and other
digit runs longer than the thing they would be taken for (a phone is exactly 11 digits, not
part of a longer run), amounts (¥138.00, 1,380元), dates and times, tracking numbers with
letters (SF1234567890123), an 18-digit number whose ID checksum fails, a 16-19 digit number
that is not a valid card number (Luhn) with a card's prefix or grouping, and "3号" as a day.
Masking an order number would break its link to the order-credit page and the row it traces
back to, so the grammar leaves numbers it cannot tell from one alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kaohe import saferegex
from kaohe.saferegex import Match, RegexTimeout, SafePattern

# ---------------------------------------------------------------- folding (1:1)

_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # full-width ASCII
_FOLD.update({0x3000: 0x20, 0x00A0: 0x20, 0xFFE5: ord("¥")})
_FOLD.update({ord(c): ord("-") for c in "‐‑‒–—―−﹣"})
_FOLD.update({ord(c): ord(".") for c in "。·・･"})


def fold(text: str) -> str:
    """The text with full-width forms and separators folded to ASCII, same length."""
    return text.translate(_FOLD)


# ---------------------------------------------------------------- the grammar


def _rx(pattern: str) -> SafePattern:
    """The text is the buyer's: every pattern runs with kaohe.saferegex's time limit."""
    return saferegex.compile(pattern, "隐私屏蔽 / masking personal data")


NOT_BEFORE = r"(?<![0-9A-Za-z¥$])"  # a number does not start inside a word or after ¥
NOT_AFTER = r"(?![0-9A-Za-z]|\.\d)"  # ... nor end inside a longer run or a decimal
SEP = r"[ \t.\-]{0,2}"  # between digits: nothing, spaces, dots or dashes

MOBILE = _rx(
    NOT_BEFORE + r"(?:(?:\+|00)?86[ \-]{0,2}|\((?:\+|00)?86\)[ ]?)?"
    r"1" + SEP + r"[3-9](?:" + SEP + r"\d){9}" + NOT_AFTER
)
LANDLINE = _rx(
    NOT_BEFORE + r"(?<!\d[ \-])(?:\(0\d{2,3}\)|0\d{2,3})[ \-]{0,2}\d{3,4}[ \-]?\d{3,4}"
    r"(?:[ \-]?(?:转|ext\.?|x)[ ]?\d{1,5})?" + NOT_AFTER
)
ID_NUMBER = _rx(
    NOT_BEFORE + r"[1-9]\d{5}[ ]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"[ ]?\d{3}[\dXx]" + NOT_AFTER
)
ID_CUED = _rx(r"(身份证(?:号码|号)?)([:： ]*)(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
CARD = _rx(NOT_BEFORE + r"\d(?:[ \-]?\d){15,18}" + NOT_AFTER)
CARD_CUE = _rx(r"(?:银行卡|卡号|账号|帐号|信用卡|储蓄卡)[^0-9]{0,6}$")
EMAIL = _rx(
    r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9][A-Za-z0-9._%+\-]{0,63})@"
    r"([A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,5}\.[A-Za-z]{2,12})"
)

# Addresses. A place name is a run of Chinese characters that are not function words, so that
# "我家住在张江路123弄" masks from 张, not from 我.
STOPS = "在住是到寄送发往我你他她您家的址为从请和与及就要帮把给了吗呢啊哦嗯去来还"
NAME_CHAR = rf"[^\W\d_A-Za-z{STOPS}]"
NUM = r"(?:\d{1,5}|[一二三四五六七八九十百零〇两]{1,4}(?=号|弄|巷|栋|幢))"
UNIT = r"(?:号楼|号院|号|弄|栋|幢|座|单元|楼|层|室)"
# more units (3栋2单元), then perhaps a bare room number (…2单元501, …4号-1201)
TAIL = rf"(?:[ \-]?(?:\d{{1,5}}|[A-Za-z]){UNIT})*(?:-?\d{{1,5}}(?!\d))?"
ROAD = rf"{NAME_CHAR}{{1,8}}(?:大道|大街|路|街|巷|弄|胡同)"
ADDRESS_CHAIN = _rx(
    rf"{NAME_CHAR}{{2,6}}(?:省|自治区|市)(?:{NAME_CHAR}{{1,10}}?(?:市|区|县|旗|镇|乡|街道))+"
    rf"(?:{ROAD})?(?:[ ]?{NUM}{UNIT}{TAIL})?"
)
# a road with its number: 张江路123弄, 文三路100号3栋; "长江路3个小时" is no address
ADDRESS_ROAD = _rx(rf"{ROAD}[ ]?{NUM}(?:{UNIT}{TAIL}|(?![\u4e00-\u9fa5\d]))")
ADDRESS_BUILDING = _rx(
    rf"(?:{NAME_CHAR}{{1,8}}(?:小区|花园|公寓|大厦|家园|新村|苑|广场))?"
    rf"(?<!\d)\d{{1,4}}(?:号楼|栋|幢|座)[ \-]?\d{{1,5}}(?:单元|楼|层|室|号)?{TAIL}"
    rf"|(?<!\d)\d{{1,3}}单元[ \-]?\d{{1,5}}室?{TAIL}"
    rf"|(?<!\d)\d{{3,5}}室"
)
# A name given after a cue: 收件人 张三, 我叫李四, 姓名：王五
NAME_AFTER_CUE = _rx(r"(收件人|收货人|联系人|姓名|我叫|名字是)([:：\s]*)([\u4e00-\u9fa5]{2,4})")
ADDRESS_MASK = "[地址已隐藏]"
TIMED_OUT_MASK = "[内容已隐藏 / text hidden]"  # masking ran out of time: show nothing
NON_DIGIT = _rx(r"\D")
AREA_CODE = _rx(r"\(?(0\d{2,3})")
CARD_GROUPS = _rx(r"\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?")


def _digits(text: str) -> str:
    return NON_DIGIT.sub("", text)


def mask_phone(match: Match, original: str = "") -> str:
    digits = _digits(match.group(0))[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def _landline(match: Match, original: str = "") -> str:
    area = AREA_CODE.match(match.group(0))
    return f"{area.group(1) if area else ''}-****"


def _id_valid(number: str) -> bool:
    """The ISO 7064 MOD 11-2 check digit of an 18-digit ID number."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _id_number(match: Match, original: str = "") -> str | None:
    number = match.group(0).replace(" ", "")
    return f"{number[:3]}{'*' * 11}{number[-4:]}" if _id_valid(number) else None


def _cue(match: Match, original: str) -> str:
    """The cue and what follows it as the original text has them (：stays full-width)."""
    return original[match.start(1) : match.end(2)]


def _id_cued(match: Match, original: str) -> str:
    number = match.group(3)
    return f"{_cue(match, original)}{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _card(match: Match, original: str = "") -> str | None:
    """A card number: 16-19 digits after a cue (银行卡, 卡号 …), or passing Luhn with a card's
    look (UnionPay's 62 prefix, groups of four); else kept (an order number)."""
    text, digits = match.group(0), _digits(match.group(0))
    before = match.string[max(0, match.start() - 12) : match.start()]
    grouped = CARD_GROUPS.fullmatch(text) is not None
    if CARD_CUE.search(before):  # 卡号 …: a card even when mistyped
        return f"{digits[:4]} **** **** {digits[-4:]}"
    looks = digits.startswith("62") or grouped
    if not (16 <= len(digits) <= 19 and _luhn(digits) and looks):
        return None
    return f"{digits[:4]} **** **** {digits[-4:]}"


def _email(match: Match, original: str = "") -> str:
    return f"{match.group(1)[0]}***@{match.group(2)}"


def _address(match: Match, original: str = "") -> str:
    return ADDRESS_MASK


def _name(match: Match, original: str) -> str:
    return f"{_cue(match, original)}{match.group(3)[0]}**"


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: SafePattern
    # (match on the folded text, the original text) -> the mask; None: not personal data
    replace: Callable[[Match, str], str | None]


RULES: tuple[Rule, ...] = (
    Rule("email", EMAIL, _email),
    Rule("id_cued", ID_CUED, _id_cued),
    Rule("id_number", ID_NUMBER, _id_number),
    Rule("card", CARD, _card),
    Rule("mobile", MOBILE, mask_phone),
    Rule("landline", LANDLINE, _landline),
    Rule("address", ADDRESS_CHAIN, _address),
    Rule("address", ADDRESS_ROAD, _address),
    Rule("address", ADDRESS_BUILDING, _address),
    Rule("name", NAME_AFTER_CUE, _name),
)


def personal_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, rule, replacement) of every piece of personal data in `text`, in order."""
    folded = fold(text)
    spans: list[tuple[int, int, str, str]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(folded):
            start, end = match.span()
            if start == end or any(s < end and start < e for s, e, _, _ in spans):
                continue
            replacement = rule.replace(match, text)
            if replacement is not None:
                spans.append((start, end, rule.name, replacement))
    return _merge_addresses(sorted(spans), folded)


def _merge_addresses(
    spans: list[tuple[int, int, str, str]], folded: str
) -> list[tuple[int, int, str, str]]:
    """Adjacent address pieces (a road, then its building) become one masked address."""
    out: list[tuple[int, int, str, str]] = []
    for span in spans:
        if (
            out
            and span[2] == out[-1][2] == "address"
            and not folded[out[-1][1] : span[0]].strip(" ,，-")
        ):
            out[-1] = (out[-1][0], span[1], "address", ADDRESS_MASK)
        else:
            out.append(span)
    return out


def mask_text(text: str | None) -> str | None:
    """The text with every piece of personal data masked; other text is unchanged."""
    if not text:
        return text
    try:
        spans = personal_spans(text)
    except RegexTimeout:
        return TIMED_OUT_MASK
    if not spans:
        return text
    out, pos = [], 0
    for start, end, _, replacement in spans:
        out += [text[pos:start], replacement]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask_buyer(buyer: str | None) -> str | None:
    """A buyer account shown to a role that may not see it: first and last character."""
    if not buyer:
        return buyer
    if len(buyer) <= 2:
        return buyer[0] + "*"
    return f"{buyer[0]}***{buyer[-1]}"
