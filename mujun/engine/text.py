"""Messages in one language. The engine carries each message in Chinese and English and shows it in one:
the platform chooses by the request's language, the commands by :func:`command_language`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple


def in_language(zh: str, en: str, language: str | None) -> str:
    """``zh`` for a Chinese (or no) language, else ``en``."""
    return zh if (language or "zh").lower().startswith("zh") else en


def command_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language of the ``mujun`` commands: Chinese, or English when LC_ALL (else LANG) starts with "en"."""
    chosen = environ.get("LC_ALL") or environ.get("LANG") or ""
    return "en" if chosen.lower().startswith("en") else "zh"


class Text(NamedTuple):
    """One message in both languages."""

    zh: str
    en: str

    def message(self, language: str | None = None) -> str:
        return in_language(self.zh, self.en, language)

    def __str__(self) -> str:
        return self.zh


class ProblemsError(ValueError):
    """Input that cannot be used; ``problems`` lists every reason, each with a ``message(language)``."""

    def __init__(self, problems: list):
        self.problems = list(problems)
        super().__init__(self.message())

    def messages(self, language: str | None = None) -> list[str]:
        return [problem.message(language) for problem in self.problems]

    def message(self, language: str | None = None) -> str:
        return "\n".join(self.messages(language))
