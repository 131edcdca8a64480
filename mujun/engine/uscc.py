"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z); the last is a
check character over the first 17 with weights 3^i mod 31.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28


def check_character(first17: str) -> str:
    total = sum(VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> str | None:
    """Why ``code`` is not a valid credit code (Chinese and English), or None when it is valid."""
    if not isinstance(code, str) or not code.strip():
        return "统一社会信用代码为空 / credit code is empty"
    code = code.strip()
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位 / credit code must have 18 characters, has {len(code)}"
    bad = [ch for ch in code if ch not in VALUE]
    if bad:
        return f"统一社会信用代码含非法字符 {bad[0]!r} / credit code has an invalid character {bad[0]!r}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return (
            f"统一社会信用代码校验位错误（应为{expected}） / credit code check character is wrong (expected {expected})"
        )
    return None


def is_valid_uscc(code: object) -> bool:
    return uscc_problem(code) is None


def make_uscc(body17: str) -> str:
    """Complete 17 characters with their check character (used by the demo generator and tests)."""
    return body17 + check_character(body17)
