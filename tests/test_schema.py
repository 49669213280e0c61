"""Design JSON schema, templates and the schema-lint / dump-designs commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import modelstudio_widget as ms
from modelstudio_widget.cli import main
from modelstudio_widget.design.schema import Design, json_schema, lint

TEMPLATE_DIR = Path(ms.__file__).parent / "design" / "templates"


@pytest.mark.parametrize("name", sorted(ms.templates()))
def test_templates_are_clean(name: str) -> None:
    design = ms.templates()[name]
    assert lint(design) == []
    result = ms.validate(design)
    assert result.valid and result.errors == []


def test_default_design_is_a_template_and_copies_are_independent() -> None:
    a, b = ms.default_design(), ms.default_design()
    assert a == b and a["id"].startswith("tpl-")
    a["components"].clear()
    assert ms.default_design()["components"]


def test_json_schema_is_plain_json_and_describes_every_block() -> None:
    schema = json.loads(json.dumps(json_schema()))
    text = json.dumps(schema)
    for block in ms.catalog()["blocks"]:
        assert block["type"] in text
    assert schema["title"].startswith("Model Studio design")


def test_schema_and_rules_agree_on_what_is_broken() -> None:
    good = ms.default_design()
    Design.model_validate(good)
    bad = ms.templates()["tiny"]
    bad["components"][1]["props"]["d_model"] = 100
    problems = lint(bad)
    assert any(p.startswith("schema:") for p in problems)
    assert any("D_MODEL_MULTIPLE_OF_8" in p for p in problems)


def test_schema_lint_cli_passes_templates(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in TEMPLATE_DIR.glob("*.json"))
    assert main(["schema-lint", *files]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok") == len(files)


def test_schema_lint_cli_reports_each_bad_file(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nan.json").write_text('{"components": [], "meta": {"d_model": NaN}}')
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "cycle.json").write_text(json.dumps({"components": [
        {"id": "in", "type": "board_input"}, {"id": "a", "type": "transformer_layer"},
        {"id": "out", "type": "action_output"}],
        "edges": [["in", "a"], ["a", "a"], ["a", "out"]]}))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(ms.default_design()))
    files = [str(tmp_path / n) for n in ("nan.json", "broken.json", "cycle.json", "missing.json")]
    assert main(["schema-lint", str(good), *files]) == 1
    out = capsys.readouterr().out
    assert f"{good}: ok" in out
    assert "nan.json: FAILED" in out and "NaN is not allowed" in out
    assert "broken.json: FAILED" in out and "not valid JSON" in out
    assert "cycle.json: FAILED" in out and "CYCLE" in out
    assert "missing.json: FAILED" in out and "cannot read" in out
    assert "1 ok, 4 failed" in out


def test_console_script_runs(tmp_path: Path) -> None:
    f = tmp_path / "d.json"
    f.write_text(json.dumps(ms.default_design()))
    proc = subprocess.run([sys.executable, "-m", "modelstudio_widget.cli", "schema-lint", str(f)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_dump_designs_cli(workspace: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    with ms.Store.in_workspace(workspace) as store:
        for name, design in ms.templates().items():
            store.create_design(design, name=name)
    out_dir = tmp_path / "dump"
    assert main(["dump-designs", str(out_dir), "--workspace", str(workspace)]) == 0
    files = sorted(out_dir.glob("*.json"))
    assert len(files) == len(ms.templates())
    for f in files:
        assert lint(json.loads(f.read_text())) == []
