"""JSON Schemas generated from the event models (committed under ``schemas/``)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.events.models import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def render_schemas() -> dict[str, str]:
    """Return ``{file name: JSON text}`` for every domain event's detail schema."""
    out = {}
    for name, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        schema["$id"] = f"migration-bot/{name}"
        out[f"{name}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file, returning the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, text in render_schemas().items():
        path = directory / file_name
        path.write_text(text)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_schemas():
        print(written)
