"""A compiled check that confirms a valid submission quickly; jsonschema stays the judge of every refusal.

jsonschema walks a schema keyword by keyword and builds a validator object for every property it descends
into: 40–140 µs per submitted form inside a step here. fastjsonschema compiles the same schema into one Python
function that confirms a valid submission in a few microseconds. The two do not agree on everything, so the
compiled check is used only where it cannot accept what jsonschema would refuse:

- the schema uses only the keywords listed in ``_KEYWORDS``, with ``$ref`` standing alone (fastjsonschema
  ignores the siblings of a ``$ref``), ``items`` as one schema, text-only ``enum``/``const`` (Python's ``==``
  takes ``True`` for ``1``; JSON Schema does not), and only our own formats, checked by the same functions;
- the submission holds only text, whole numbers, true/false/null, lists and objects with text keys: no
  float (fastjsonschema counts ``1.0`` as an integer, our forms do not), no tuple.

Anything else, and every submission the compiled check refuses, goes to jsonschema, which alone words the
errors. Defaults are never filled in (``use_default=False``): the check reads the submission, never changes it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(("title", "description", "default", "examples", "$comment", "$schema", "$id"))
_KEYWORDS = _ANNOTATIONS | frozenset((
    "$defs", "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
    "pattern", "format", "oneOf", "anyOf", "allOf", "not", "if", "then", "else",
))
_SUBSCHEMA_LISTS = ("oneOf", "anyOf", "allOf")


def compile_check(schema: dict[str, Any], formats: dict[str, Callable[[str], bool]]) -> Check | None:
    """A function telling whether a submission surely passes ``schema``, or None where it cannot be trusted."""
    if not _trusted(schema, set(formats), top=True):
        return None
    try:
        validate = fastjsonschema.compile(schema, formats=dict(formats), use_default=False)
    except (fastjsonschema.JsonSchemaDefinitionException, ValueError, TypeError, KeyError):
        return None

    def passes(data: Any) -> bool:
        if not _plain(data):
            return False
        try:
            validate(data)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return passes


def _trusted(node: Any, formats: set[str], top: bool = False) -> bool:
    """True when ``node`` (a schema) means the same to fastjsonschema as to jsonschema."""
    if not isinstance(node, dict):
        return isinstance(node, bool)
    keys = {k for k in node if not k.startswith("x-")}
    if not keys <= _KEYWORDS or ("$defs" in keys and not top):
        return False
    if "$ref" in node and not (keys - _ANNOTATIONS <= {"$ref", "$defs"} and str(node["$ref"]).startswith("#/$defs/")):
        return False
    if "format" in node and node["format"] not in formats:
        return False
    if any(not _text_only(node[k] if k == "enum" else [node[k]]) for k in ("enum", "const") if k in node):
        return False
    return _children_trusted(node, formats)


def _children_trusted(node: dict[str, Any], formats: set[str]) -> bool:
    mappings = [node.get(key, {}) for key in ("properties", "$defs")]
    if not all(isinstance(m, dict) for m in mappings):
        return False
    subschemas: list[Any] = [sub for mapping in mappings for sub in mapping.values()]
    if "items" in node:
        if not isinstance(node["items"], dict):
            return False
        subschemas.append(node["items"])
    for key in ("additionalProperties", "not", "if", "then", "else"):
        if key in node:
            subschemas.append(node[key])
    for key in _SUBSCHEMA_LISTS:
        if key in node:
            if not isinstance(node[key], list):
                return False
            subschemas += node[key]
    return all(_trusted(sub, formats) for sub in subschemas)


def _text_only(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) or v is None for v in values)


def _plain(value: Any) -> bool:
    """JSON made of text, whole numbers, true/false/null, lists and text-keyed objects only (no float, no tuple)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is list:
        return all(_plain(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain(item) for key, item in value.items())
    return False
