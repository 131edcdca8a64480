"""The password policy beyond a minimum length (等保 2.0 practice): 12 characters or more, at least three of
capital letters, small letters, digits and symbols, not common, not all digits, not like the user's names;
refused with Chinese messages; the demo users' password passes it."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from mujun.core.management.commands._demo_data import DEMO_PASSWORD
from mujun.core.models import User
from mujun.core.validators import CharacterClassValidator


def refusals(password: str, user=None) -> list[str]:
    with translation.override("zh-hans"):
        try:
            validate_password(password, user)
        except ValidationError as error:
            return error.messages
    return []


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("Ab1!xyz", "密码太短，至少须有12个字符。"),
        ("abcdefghijkl1", "密码须至少包含大写字母、小写字母、数字和符号中的3类。"),
        ("ABCDEFGHIJ!!", "密码须至少包含大写字母、小写字母、数字和符号中的3类。"),
        ("204819371029", "密码只包含数字。"),
        ("Qweasdzxc123", "这个密码太常见了。"),
    ],
)
def test_a_weak_password_is_refused_in_chinese(password, refusal):
    assert refusal in refusals(password)


@pytest.mark.django_db
def test_a_password_like_the_user_name_is_refused():
    user = User(username="wuxing_operator", first_name="吴兴", email="wuxing@example.gov.cn")
    assert any("太相似" in message for message in refusals("Wuxing_operator1", user))


@pytest.mark.parametrize("password", ["Huzhou-2026-ok", "湖州Mujun2026x!", "tz7Kq9wB4mLp", DEMO_PASSWORD])
def test_a_long_password_of_three_kinds_passes(password):
    assert refusals(password) == []


@pytest.mark.parametrize(
    ("password", "classes"), [("abc", 1), ("aB", 2), ("aB1", 3), ("aB1-", 4), ("密码1", 2), ("", 0)]
)
def test_character_classes_are_counted_by_kind(password, classes):
    # Chinese characters count as symbols: they are neither capital nor small letters.
    assert CharacterClassValidator().classes(password) == classes


def test_the_demo_command_refuses_a_weak_password():
    with translation.override("zh-hans"), pytest.raises(CommandError, match="密码太短"):
        call_command("demo", "--no-serve", "--password", "mujun2026")
