"""Typed files and tables: one strict pydantic base and one way to report its errors in a line.

Every file a user writes (a scenario, an experiment, a calibration, the lessons) is validated
by a model built on :class:`Strict`, and its first error becomes one line through
:func:`describe_error`: the dotted key of the offending field, what is wrong with it and, for
an unknown key, the keys that are allowed there.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import SHOWN_CHARACTERS, shown


class Strict(BaseModel):
    """Base of every typed table: unknown keys are errors and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def first_error(error: ValidationError) -> dict:
    """The error to report: an unknown key first (it often explains a missing one)."""
    errors = error.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def describe_error(error: ValidationError, model: type[BaseModel],
                   raw: Any = None) -> tuple[str, str]:
    """The first error of validating ``raw`` against ``model``: (dotted key, one-line message).

    A list item that is a table with an ``id`` is named by it (``events.covid.date``), any
    other by its position (``parameters[0].low``); the tags pydantic adds for union members
    are left out.
    """
    found = first_error(error)
    key, where = error_key(list(found["loc"]), model, raw)
    kind = found["type"]
    ctx = found.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = list(getattr(where, "model_fields", {}))
        return key, f"{key}: unknown key" + (f"; allowed: {', '.join(allowed)}" if allowed
                                             else "")
    if kind == "missing":
        return key, f"{key}: missing (required)"
    if kind == "union_tag_invalid":
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        field = ctx.get("discriminator", "").strip("'")
        return key, f"{key}.{field}: unknown {field} {shown(ctx.get('tag'))}; allowed: {tags}"
    if kind == "union_tag_not_found":
        field = ctx.get("discriminator", "").strip("'")
        return key, f"{key}: needs {field}"
    message = found["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return key, f"{key}: {message}" if key else message
    got = found.get("input")
    echo = "" if isinstance(got, dict | list) else f" (got {shown(got)})"
    return key, f"{key}: {message[:1].lower()}{message[1:]}{echo}"


def error_key(loc: list, model: Any, raw: Any) -> tuple[str, Any]:
    """The dotted key of a pydantic error location, and the type found at its parent.

    The type is walked alongside the location, so that union tags and pydantic's own labels
    (``list[any]``, ``function-after[...]``) are recognised and left out of the key.
    """
    parts: list[str] = []
    annotation, data, parent = model, raw, model
    for position, part in enumerate(loc):
        annotation = _unwrap(annotation)
        if _is_model(annotation):
            parent = annotation
            if part not in annotation.model_fields:
                if position == len(loc) - 1:        # an unknown key
                    parts.append(f".{part}")
                continue                            # otherwise a label pydantic adds
            parts.append(f".{part}")
            annotation = annotation.model_fields[part].annotation
            data = data.get(part) if isinstance(data, Mapping) else None
        elif isinstance(part, int):
            item = data[part] if isinstance(data, list) and part < len(data) else None
            ident = item.get("id") if isinstance(item, Mapping) else None
            parts.append(f".{ident}" if isinstance(ident, str) and ident else f"[{part}]")
            args = typing.get_args(annotation)
            annotation, data = (args[0] if args else Any), item
        elif typing.get_origin(annotation) is dict:
            if part != "[key]":
                parts.append(f".{part}")
            annotation = typing.get_args(annotation)[1]
            data = data.get(part) if isinstance(data, Mapping) else None
        else:
            annotation = _member(annotation, part, data)
    key = "".join(parts).lstrip(".")
    return shown(key, 2 * SHOWN_CHARACTERS, quoted=False), parent


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] -> X; Optional[X] -> X."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if _is_union(annotation):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _member(annotation: Any, tag: Any, data: Any) -> Any:
    """The member of a union that a pydantic location label (a tag or a type name) names."""
    if not _is_union(annotation):
        return annotation
    for member in typing.get_args(annotation):
        if _is_model(member):
            if member.__name__ == tag:
                return member
            for field in member.model_fields.values():
                if typing.get_origin(field.annotation) is typing.Literal and \
                        tag in typing.get_args(field.annotation):
                    return member
        elif str(tag).startswith(getattr(typing.get_origin(member), "__name__", "~")):
            return member
    return annotation
