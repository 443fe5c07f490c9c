"""Immutable, slotted value classes declared like dataclasses, for what must import fast.

``@dataclass(frozen=True, slots=True)`` compiles six methods per class, and builds each class
twice, while its module is imported: for the events of :mod:`net.events` that cost every ``swb``
command more start-up time than all the rest of ``swb udp-send`` (issue 22). A :class:`Record`
subclass is declared the same way (annotated fields, defaults after them) and costs nothing to
define: its few methods are written once, here. Type checkers see a frozen dataclass
(``typing.dataclass_transform``, PEP 681): a typed ``__init__`` and read-only fields.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, dataclass_transform

__all__ = ["Record"]


@dataclass_transform(frozen_default=True)
class _RecordType(type):
    """Turns the annotated fields of a class body into ``__slots__``, in declaration order."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> _RecordType:
        annotations = namespace.get("__annotations__", {})
        # Strings under `from __future__ import annotations`, else typing objects.
        fields = tuple(
            field
            for field, kind in annotations.items()
            if not str(kind).startswith(("ClassVar", "typing.ClassVar"))
        )
        # A default may not stay a class attribute of the same name as a slot: keep it aside.
        defaults = {field: namespace.pop(field) for field in fields if field in namespace}
        namespace.update(
            __slots__=fields, __match_args__=fields, _fields=fields, _defaults=defaults
        )
        return super().__new__(mcls, name, bases, namespace)


class Record(metaclass=_RecordType):
    """Base of immutable values: fields set once by ``__init__`` (positional or by name, with
    the declared defaults), read-only after; equal, and hashed alike, when of the same class with
    equal fields; shown as ``Datagram(time=1.0, peer='...', ...)``.

    Subclasses declare fields only; they inherit from ``Record`` directly (fields are not merged
    across several levels).
    """

    _fields: ClassVar[tuple[str, ...]]
    _defaults: ClassVar[dict[str, object]]

    def __init__(self, *args: object, **kwargs: object) -> None:
        fields = self._fields
        if kwargs or len(args) != len(fields):
            args = self._bind(args, kwargs)
        for field, value in zip(fields, args, strict=True):
            object.__setattr__(self, field, value)

    @classmethod
    def _bind(cls, args: tuple[object, ...], kwargs: dict[str, object]) -> tuple[object, ...]:
        """All fields' values from what ``__init__`` was given, or TypeError as a call would."""
        name = cls.__name__
        if len(args) > len(cls._fields):
            raise TypeError(f"{name}() takes {len(cls._fields)} values but {len(args)} were given")
        values = dict(zip(cls._fields, args, strict=False))
        for field, value in kwargs.items():
            if field not in cls._fields:
                raise TypeError(f"{name}() got an unexpected keyword argument {field!r}")
            if field in values:
                raise TypeError(f"{name}() got multiple values for argument {field!r}")
            values[field] = value
        missing = [f for f in cls._fields if f not in values and f not in cls._defaults]
        if missing:
            raise TypeError(f"{name}() missing required argument(s): {', '.join(missing)}")
        return tuple(values.get(f, cls._defaults.get(f)) for f in cls._fields)

    def __setattr__(self, field: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: cannot set {field!r}")

    def __delattr__(self, field: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: cannot delete {field!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return self.values() == other.values()

    def __hash__(self) -> int:
        return hash((type(self), self.values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{field}={value!r}" for field, value in self.as_dict().items())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[type[Record], tuple[object, ...]]:
        return type(self), self.values()  # copy and pickle through __init__ (setattr refuses)

    def values(self) -> tuple[object, ...]:
        """The fields' values, in declaration order."""
        return tuple(getattr(self, field) for field in self._fields)

    def replace(self, **changes: object) -> Self:
        """A copy with ``changes`` applied (what ``dataclasses.replace`` gives)."""
        return type(self)(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, object]:
        """Field name -> value, in declaration order (what ``dataclasses.asdict`` gives)."""
        return {field: getattr(self, field) for field in self._fields}
