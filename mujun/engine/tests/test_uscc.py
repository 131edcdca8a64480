import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from mujun.engine.uscc import ALPHABET, is_valid_uscc, make_uscc, uscc_valid_expr

bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def vectorised(codes: list) -> list[bool]:
    codes_frame = pl.DataFrame({"uscc": pl.Series(codes, dtype=pl.String)})
    return codes_frame.select(uscc_valid_expr("uscc")).to_series().to_list()


@given(st.lists(bodies, min_size=1, max_size=30), st.lists(st.text(max_size=20), max_size=10))
def test_column_check_agrees_with_the_scalar_check(bodies_, other_text):
    valid = [make_uscc(body) for body in bodies_]
    wrong_check = [code[:17] + ALPHABET[(ALPHABET.index(code[17]) + 1) % 31] for code in valid]
    codes = valid + wrong_check + other_text + [None, "", code.lower() if (code := valid[0]) else ""]
    assert vectorised(codes) == [is_valid_uscc(code) for code in codes]


def test_column_check_on_known_cases():
    codes = ["91330000MA27U8XX8P", "91330000MA27U8XX8Q", "91330000MA27U8XXIP", "中" * 6, "9133000MA27U8XX8P"]
    assert vectorised(codes) == [is_valid_uscc(code) for code in codes]
    assert vectorised(codes).count(True) == sum(is_valid_uscc(code) for code in codes)
