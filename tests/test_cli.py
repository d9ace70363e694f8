"""The `kam` command line contract: outputs, formats and error lines."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from kam_console.cli import main as kam


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_org_list_provinces_csv(db_url, capsys):
    assert kam(["--db", db_url, "org", "list", "--level", "province", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "code,name,level,parent_code,local_company"
    rows = _csv(out)
    assert len(rows) == 31
    by_code = {r["code"]: r for r in rows}
    assert by_code["440000"]["name"] == "广东省大客户部"
    assert by_code["650000"]["name"] == "新疆维吾尔自治区大客户部"
    assert by_code["110000"]["local_company"] == "北京公司"
    assert {r["parent_code"] for r in rows} == {"000000"}
    assert {r["level"] for r in rows} == {"province"}


def test_org_list_cities_and_parent_filter(db_url, capsys):
    assert kam(["--db", db_url, "org", "list", "--level", "city", "--format", "json"]) == 0
    cities = json.loads(capsys.readouterr().out)
    assert len(cities) == 337
    assert kam(["--db", db_url, "org", "list", "--parent", "440000", "--format", "csv"]) == 0
    gd = _csv(capsys.readouterr().out)
    assert len(gd) == 21 and gd[0]["code"] == "440100" and gd[0]["name"] == "广州市大客户部"
    assert kam(["--db", db_url, "org", "list", "--parent", "110000", "--format", "csv"]) == 0
    bj = _csv(capsys.readouterr().out)
    assert [r["code"] for r in bj] == ["110100"]


def test_org_list_table_is_aligned(db_url, capsys):
    assert kam(["--db", db_url, "org", "list", "--level", "group"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["code", "name", "level", "parent_code", "local_company"]
    assert lines[1].split() == ["000000", "集团公司大客户事业部", "group", "集团公司"]


def test_unknown_parent_and_bad_option_fail_with_one_line(db_url, capsys):
    assert kam(["--db", db_url, "org", "list", "--parent", "999999"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "999999" in err[0]
    assert kam(["--db", db_url, "org", "list", "--level", "planet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "参数错误" in err[0]


def test_db_upgrade_on_default_embedded_database(capsys, _isolated_data_dir):
    assert kam(["db", "upgrade"]) == 0
    assert "嵌入式数据库" in capsys.readouterr().out
    assert (_isolated_data_dir / "kam.sqlite3").exists()
    assert kam(["db", "status"]) == 0
    assert "最新" in capsys.readouterr().out


def test_environment_variable_selects_database(tmp_path, monkeypatch, capsys):
    target = tmp_path / "env.sqlite3"
    monkeypatch.setenv("KAM_DATABASE_URL", f"sqlite:///{target}")
    assert kam(["org", "list", "--level", "group", "--format", "csv"]) == 0
    assert target.exists()


def test_python_dash_m_runs_the_cli(tmp_path):
    env = dict(os.environ, KAM_DATA_DIR=str(tmp_path))
    env.pop("KAM_DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "kam_console", "org", "list", "--level", "province", "--format", "csv"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 32
