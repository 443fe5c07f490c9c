"""One checked step of a conversation script (net.script), apart from the rest so that
net.events can name it in StepResult without importing the script machinery."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal

from net._record import Record as _Value

if TYPE_CHECKING:
    import regex

__all__ = ["DEFAULT_TIMEOUT", "Step", "StepKind"]

#: Seconds an expectation waits when its step names no timeout.
DEFAULT_TIMEOUT: Final = 5.0
StepKind = Literal["send", "expect", "delay"]


class Step(_Value):
    """One step of a script, checked. ``line`` is where its ``[[step]]`` header is (1-based)."""

    number: int
    line: int
    kind: StepKind
    text: str = ""  # a send's template or an expect's pattern, as written
    hex: bool = False
    checksum: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    capture: bool = False
    delay: float = 0.0
    name: str = ""
    _pattern: regex.Pattern[str] | re.Pattern[bytes] | None = None
    # Made once when the step uses no --var or captured value: a send's bytes as a function of
    # the round (0-based; checksum included), an expect's fixed pattern.
    _sender: Callable[[int], bytes] | None = None
    # Characters an expect's regex searches without a time limit (net.rules.regex_shape).
    _safe_length: int = 0
    _dynamic: bool = False

    @property
    def label(self) -> str:
        """How reports name the step: its name, or what it does."""
        if self.name:
            return self.name
        if self.kind == "delay":
            return f"delay {self.delay:g} s"
        return f"{self.kind}{'_hex' if self.hex else ''} {self.text!r}"
