"""Masking of buyer personal data (phone numbers, addresses, names) in chat text.

Used wherever a role may not see buyer data: reports, exports, logs and the web app.
"""

from __future__ import annotations

import re

# Mainland mobile numbers, optionally +86 and separated by spaces or dashes; not inside a
# longer digit run (a price such as ¥13800138000 stays when preceded by a currency sign).
PHONE = re.compile(r"(?<![\d¥￥$.])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
# An address: a province/city/district chain, or a street/road with a number.
ADDRESS = re.compile(
    r"[\u4e00-\u9fa5]{2,8}(?:省|自治区|市)[\u4e00-\u9fa5\d]{0,20}?(?:区|县|镇|乡|街道)"
    r"[\u4e00-\u9fa5\d\-号栋单元室楼层]{0,30}"
    r"|[\u4e00-\u9fa5]{2,10}(?:路|街|大道|巷)\d+号[\u4e00-\u9fa5\d\-栋单元室楼层]{0,20}"
)
# A name given after a cue: 收件人 张三, 我叫李四, 姓名：王五
NAME_AFTER_CUE = re.compile(
    r"(收件人|收货人|联系人|姓名|我叫|名字是)([:：\s]*)([\u4e00-\u9fa5]{2,4})"
)


def mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def mask_text(text: str | None) -> str | None:
    """Mask phone numbers, addresses and cued names; other text is unchanged."""
    if not text:
        return text
    masked = PHONE.sub(mask_phone, text)
    masked = LANDLINE.sub("****", masked)
    masked = ADDRESS.sub("[地址已隐藏]", masked)
    return NAME_AFTER_CUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)[0]}**", masked)


def mask_buyer(buyer: str | None) -> str | None:
    """A buyer account shown to a role that may not see it: first and last character."""
    if not buyer:
        return buyer
    if len(buyer) <= 2:
        return buyer[0] + "*"
    return f"{buyer[0]}***{buyer[-1]}"
