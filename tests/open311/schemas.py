"""GeoReport v2 response shapes as JSON Schemas (draft 4), written from the spec's facts.

The facts: ids and codes are strings; `metadata`, `variable` and `required`
are booleans; `status` is open or closed; `type` is realtime, batch or
blackbox; a description holds at most 4,000 characters; datetimes are ISO 8601
strings; optional fields may be absent or null; collections are top-level
arrays in JSON; a service definition is an object with its attributes; an
attribute's datatype is one of six, and its values are key/name pairs.
"""


def _optional(schema):
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
TEXT = _optional(STRING)
DATETIME = {"type": "string", "format": "date-time"}

SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": STRING,
        "service_name": STRING,
        "description": TEXT,
        "metadata": {"type": "boolean"},
        "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": TEXT,
        "group": TEXT,
    },
}

ATTRIBUTE_VALUE = {
    "type": "object",
    "required": ["key", "name"],
    "properties": {"key": STRING, "name": STRING},
}

ATTRIBUTE = {
    "type": "object",
    "required": ["variable", "code", "datatype", "required"],
    "properties": {
        "variable": {"type": "boolean"},
        "code": STRING,
        "datatype": {"type": "string",
                     "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
        "required": {"type": "boolean"},
        "datatype_description": TEXT,
        "order": _optional({"type": "integer"}),
        "description": TEXT,
        "values": {"type": "array", "items": ATTRIBUTE_VALUE},
    },
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {"service_code": STRING, "attributes": {"type": "array", "items": ATTRIBUTE}},
}

REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": STRING,
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": TEXT,
        "service_name": TEXT,
        "service_code": STRING,
        "description": _optional({"type": "string", "maxLength": 4000}),
        "agency_responsible": TEXT,
        "service_notice": TEXT,
        "requested_datetime": DATETIME,
        "updated_datetime": _optional(DATETIME),
        "expected_datetime": _optional(DATETIME),
        "address": TEXT,
        "address_id": TEXT,
        "zipcode": TEXT,
        "lat": _optional({"type": "number"}),
        "long": _optional({"type": "number"}),
        "media_url": _optional({"type": "string", "format": "uri"}),
    },
}

SCHEMAS = {
    "service.json": SERVICE,
    "services.json": {"type": "array", "items": SERVICE},
    "service-definition.json": SERVICE_DEFINITION,
    "request.json": REQUEST,
    "requests.json": {"type": "array", "items": REQUEST},
}
