"""A small JSON-schema validator for the Debug Adapter Protocol schema.

It implements the draft-04 subset that tests/data/debugAdapterProtocol.json
actually uses: "$ref" (to "#/definitions/..."), "allOf", "oneOf", "type"
(a name or a list of names), "properties", "required", "enum", "items",
"additionalProperties" (boolean or schema), "minimum" and "maximum".
Annotations ("description", "_enum", "format", ...) are ignored.

    schema = DapSchema.load()
    errors = schema.validate_message(msg)   # [] when msg is valid

Standard library only.
"""

import json
import os

SCHEMA_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, "data",
    "debugAdapterProtocol.json")


def _type_ok(value, name):
    # bool is a subclass of int in Python; JSON keeps them apart.
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "null":
        return value is None
    raise ValueError("unknown JSON-schema type %r" % (name,))


class DapSchema:
    _cached = None

    def __init__(self, document):
        self.document = document
        self.definitions = document.get("definitions", {})

    @classmethod
    def load(cls, path=SCHEMA_PATH):
        """Returns the schema (loaded once per path and cached)."""
        if cls._cached is None or cls._cached[0] != path:
            with open(path, encoding="utf-8") as f:
                cls._cached = (path, cls(json.load(f)))
        return cls._cached[1]

    # ---- generic validation -------------------------------------------
    def _resolve(self, ref):
        prefix = "#/definitions/"
        if not ref.startswith(prefix):
            raise ValueError("unsupported $ref %r" % (ref,))
        name = ref[len(prefix):]
        if name not in self.definitions:
            raise ValueError("$ref to unknown definition %r" % (name,))
        return self.definitions[name]

    def validate(self, value, schema, path="$"):
        """Returns a list of error strings (empty when value is valid)."""
        errors = []
        self._check(value, schema, path, errors)
        return errors

    def _check(self, value, schema, path, errors):
        if schema is True or schema == {}:
            return
        if schema is False:
            errors.append("%s: no value allowed here" % path)
            return
        if "$ref" in schema:
            self._check(value, self._resolve(schema["$ref"]), path, errors)
        for sub in schema.get("allOf", ()):
            self._check(value, sub, path, errors)
        if "oneOf" in schema:
            matches = sum(1 for sub in schema["oneOf"]
                          if not self.validate(value, sub, path))
            if matches != 1:
                errors.append("%s: matches %d of the oneOf alternatives, "
                              "expected exactly 1" % (path, matches))
        if "type" in schema:
            names = schema["type"]
            if isinstance(names, str):
                names = [names]
            if not any(_type_ok(value, n) for n in names):
                errors.append("%s: expected type %s, got %s" % (
                    path, "|".join(names), _json_type(value)))
                return  # the remaining keywords would only add noise
        if "enum" in schema and value not in schema["enum"]:
            errors.append("%s: %r is not one of %r" % (
                path, value, schema["enum"]))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                errors.append("%s: %r is less than the minimum %r" % (
                    path, value, schema["minimum"]))
            if "maximum" in schema and value > schema["maximum"]:
                errors.append("%s: %r is greater than the maximum %r" % (
                    path, value, schema["maximum"]))
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for key in schema.get("required", ()):
                if key not in value:
                    errors.append("%s: missing required property %r" % (
                        path, key))
            extra = schema.get("additionalProperties", True)
            for key, item in value.items():
                sub_path = "%s.%s" % (path, key)
                if key in props:
                    self._check(item, props[key], sub_path, errors)
                elif extra is False:
                    errors.append("%s: property not allowed" % sub_path)
                elif isinstance(extra, dict):
                    self._check(item, extra, sub_path, errors)
        if isinstance(value, list) and "items" in schema:
            items = schema["items"]
            for i, item in enumerate(value):
                self._check(item, items, "%s[%d]" % (path, i), errors)

    # ---- DAP messages ---------------------------------------------------
    def definition_for(self, msg):
        """Name of the definition a received message is checked against."""
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "response":
            if msg.get("success") is False:
                return "ErrorResponse"
            command = msg.get("command")
            if isinstance(command, str) and command:
                name = command[0].upper() + command[1:] + "Response"
                if name in self.definitions:
                    return name
            return "Response"
        if kind == "event":
            event = msg.get("event")
            if isinstance(event, str) and event:
                name = event[0].upper() + event[1:] + "Event"
                if name in self.definitions:
                    return name
            return "Event"
        if kind == "request":
            command = msg.get("command")
            if isinstance(command, str) and command:
                name = command[0].upper() + command[1:] + "Request"
                if name in self.definitions:
                    return name
            return "Request"
        return "ProtocolMessage"

    def validate_message(self, msg):
        """Validates a whole DAP message; returns a list of error strings,
        each prefixed with the definition that was used."""
        name = self.definition_for(msg)
        return ["%s: %s" % (name, e)
                for e in self.validate(msg, self.definitions[name])]


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
