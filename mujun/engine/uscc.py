"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z); the last is a
check character over the first 17 with weights 3^i mod 31.
"""

import polars as pl

from mujun.engine.text import Text

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28


def check_character(first17: str) -> str:
    total = sum(VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> Text | None:
    """Why ``code`` is not a valid credit code, or None when it is valid."""
    if not isinstance(code, str) or not code.strip():
        return Text("统一社会信用代码为空", "credit code is empty")
    code = code.strip()
    if len(code) != 18:
        return Text(f"统一社会信用代码应为18位，实为{len(code)}位", f"credit code must have 18 characters, has {len(code)}")
    bad = [ch for ch in code if ch not in VALUE]
    if bad:
        return Text(f"统一社会信用代码含非法字符 {bad[0]!r}", f"credit code has an invalid character {bad[0]!r}")
    expected = check_character(code[:17])
    if code[17] != expected:
        return (
            Text(f"统一社会信用代码校验位错误（应为{expected}）", f"credit code check character is wrong (expected {expected})")
        )
    return None


def is_valid_uscc(code: object) -> bool:
    return uscc_problem(code) is None


def make_uscc(body17: str) -> str:
    """Complete 17 characters with their check character (used by the demo generator and tests)."""
    return body17 + check_character(body17)


# Whole-column check. Each code's 18 bytes are looked up in a byte table (alphabet value, or a large
# negative number for any byte outside the alphabet) and weighted with 3^i mod 31 and 1 for the check
# character itself: a code is valid exactly when that sum is not negative and divisible by 31.
_NOT_IN_ALPHABET = -1_000_000
_BYTE_VALUE = pl.Series(
    [VALUE.get(chr(byte), _NOT_IN_ALPHABET) for byte in range(256)], dtype=pl.Int32
)
_CHECK_WEIGHTS = pl.Series([[*WEIGHTS, 1]], dtype=pl.Array(pl.Int32, 18))
_PLACEHOLDER = pl.Series([[0] * 18], dtype=pl.Array(pl.UInt8, 18))


def uscc_valid_expr(column: str | pl.Expr) -> pl.Expr:
    """True where the column holds a valid credit code, false otherwise (also for null).

    Runs over a million codes in well under 0.1 s: no per-row Python.
    """
    codes = pl.col(column) if isinstance(column, str) else column
    # Strings that are not exactly 18 bytes become null here (multi-byte characters included).
    code_bytes = codes.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, 18))
    values = (
        pl.lit(_BYTE_VALUE)
        .gather(code_bytes.fill_null(pl.lit(_PLACEHOLDER)).arr.explode())
        .reshape((-1, 18))
    )
    weighted_sum = (values * pl.lit(_CHECK_WEIGHTS)).arr.sum()
    return (code_bytes.is_not_null() & (weighted_sum >= 0) & (weighted_sum % 31 == 0)).fill_null(False)
