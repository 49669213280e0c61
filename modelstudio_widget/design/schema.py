"""Pydantic models of design JSON v1, generated from the catalog, and its JSON Schema.

The schema is the strict, documentary form of a design (unknown keys are refused); the
rules module (``rules.validate``) is the tolerant runtime check with stable error codes and
graph rules that a schema cannot express. ``lint`` runs both for ``modelstudio schema-lint``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    create_model,
)
from pydantic import ValidationError as PydanticValidationError

from modelstudio_widget.design.catalog import BLOCKS, LIMITS, META_PROPS, Prop
from modelstudio_widget.training.settings import training_catalog

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


def _number_only(value: Any) -> Any:
    if type(value) not in (int, float):
        raise ValueError("must be a number")
    return value


def _prop_field(prop: Prop) -> tuple[Any, Any]:
    bounds: dict[str, Any] = {}
    if prop.min is not None:
        bounds["ge"] = prop.min
    if prop.max is not None:
        bounds["le"] = prop.max
    if prop.multiple_of:
        bounds["multiple_of"] = prop.multiple_of
    return _kind(prop.type, bounds, prop.choices), Field(default=prop.default,
                                                         description=prop.doc)


def _kind(type_: str, bounds: dict[str, Any], choices: Any) -> Any:
    """The pydantic type of a catalog value: strict ints, finite numbers, exact choices."""
    if type_ == "int":
        return Annotated[StrictInt, Field(**bounds)]
    if type_ == "float":  # JSON writes 0.0 as 0: a float prop accepts whole numbers
        return Annotated[float, BeforeValidator(_number_only), Field(**bounds)]
    if type_ == "bool":
        return StrictBool
    return Literal[tuple(choices)]  # type: ignore[valid-type]


def _setting_field(row: dict[str, Any]) -> tuple[Any, Any]:
    """A training setting (the table in training/settings.py); null means its default."""
    bounds = {k: row[b] for k, b in (("ge", "min"), ("le", "max")) if b in row}
    return (_kind(row["type"], bounds, row.get("choices", ())) | None,
            Field(default=None, description=row["doc"]))


class Position(BaseModel):
    model_config = _STRICT
    x: Annotated[float, Field(ge=-1e6, le=1e6)]
    y: Annotated[float, Field(ge=-1e6, le=1e6)]


def _component_model(block: Any) -> type[BaseModel]:
    props = create_model(f"{block.type}_props", __config__=_STRICT,
                         **{p.name: _prop_field(p) for p in block.props})
    return create_model(
        block.type, __config__=_STRICT, __doc__=block.doc,
        id=(Annotated[StrictStr, Field(min_length=1, max_length=LIMITS["max_id_length"])], ...),
        type=(Literal[block.type], ...),  # type: ignore[valid-type]
        props=(props, Field(default_factory=props)),
        position=(Position | None, None),
    )


Meta = create_model("Meta", __config__=ConfigDict(extra="allow", allow_inf_nan=False),
                    **{p.name: _prop_field(p) for p in META_PROPS})
Component = Annotated[Union[tuple(_component_model(b) for b in BLOCKS)],  # noqa: UP007
                      Field(discriminator="type")]
Name = Annotated[StrictStr, Field(max_length=LIMITS["max_name_length"])]
Training = create_model(
    "Training", __config__=_STRICT,
    __doc__="Training settings kept with the design (checked by training/settings.py).",
    **{row["name"]: _setting_field(row) for row in training_catalog()["settings"]})


class Design(BaseModel):
    """A Model Studio design: blocks (components) and the edges that wire them."""
    model_config = _STRICT
    schema_version: Literal[1] = 1
    id: Annotated[StrictStr, Field(max_length=LIMITS["max_id_length"])] | None = None
    name: Name | None = None
    description: Annotated[StrictStr, Field(max_length=1000)] | None = None
    meta: Meta = Field(default_factory=Meta)  # type: ignore[valid-type]
    training: Training | None = None  # type: ignore[valid-type]
    components: Annotated[list[Component], Field(max_length=LIMITS["max_components"])]
    edges: Annotated[list[tuple[StrictStr, StrictStr]],
                     Field(default_factory=list, max_length=LIMITS["max_edges"])]


@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema of design JSON v1."""
    schema = Design.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Model Studio design (schema_version 1)"
    return schema


def lint(design: Any) -> list[str]:
    """Schema problems and validation errors of a design, as readable lines (empty = ok)."""
    from modelstudio_widget.design.rules import validate

    problems: list[str] = []
    try:
        Design.model_validate(design)
    except PydanticValidationError as exc:
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"]) or "(top level)"
            problems.append(f"schema: {where}: {e['msg']}")
    for issue in validate(design).errors:
        if issue.severity == "error":
            problems.append(f"rule {issue.code}: {issue.message}")
    return problems


def lint_file(path: str | Path) -> list[str]:
    """``lint`` for a JSON file; unreadable or malformed files are problems too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"cannot read: {exc}"]
    try:
        design = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return [f"not valid JSON: {exc}"]
    return lint(design)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a design (numbers must be finite)")
