"""SQL injection: command-line filters and notebook parameters reach SQL only as values.

Each attack passes a hostile value where a user names a check, status, control, framework,
notebook, run, time or identity: a statement break (``x'; drop table events; --``), a DuckDB
named-parameter reference (``$as_of``) and a value full of quotes and backslashes. Each must
end in a usage error or "no such" message, never a traceback, and the ``events`` table must
still hold every row. A scan of the package's source then checks that every SQL string built
with an f-string, ``%``, ``+`` or ``.format`` formats in only constants and identifiers that
code chose, never a value.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
from pathlib import Path

import duckdb
import papermill
import pytest

from analytics.cli import main
from analytics.config import PACKAGE_DIR
from analytics.ingest import ingest_paths
from tests.notebooks import run_notebook

DROP = "x'; drop table events; --"
PAYLOADS = [
    pytest.param(DROP, id="statement-break"),
    pytest.param("$as_of", id="named-parameter"),
    pytest.param("O'Brien\\\"; \\'; select 1; --", id="quotes-and-backslashes"),
]
EVENTS = 6


def _event(n: int) -> dict[str, object]:
    return {
        "eventVersion": "1.09",
        "eventTime": f"2026-11-2{n}T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "eventID": f"00000000-0000-4000-8000-1a1ec7000{n:03d}",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "recipientAccountId": "111122223333",
        "requestParameters": {"bucketName": "releases", "key": "build.zip"},
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/ci-deployer",
            "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLEINJECT001",
        },
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding EVENTS CloudTrail events."""
    root = tmp_path_factory.mktemp("injection")
    trail = root / "trail.json"
    trail.write_text(json.dumps({"Records": [_event(n) for n in range(EVENTS)]}))
    db = root / "w.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NHI_RISK_FINGERPRINT_KEY", "injection-key-0123456789abcdef")
        [result] = ingest_paths([str(trail)], db=db)
    assert result.loaded == EVENTS
    return db


def _events(db: Path) -> int:
    """How many rows ``events`` holds (fails if the table is gone)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from events").fetchall()[0][0]
    finally:
        con.close()


def _cli(argv: list[str]) -> tuple[int, str]:
    """Run the command line; return its exit code and what it wrote to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refuses a value with exit code 2
            code = exc.code
    return code, err.getvalue()


# Each filter, and what its refusal says.
FILTERS = {
    "findings --check": (["findings", "--check"], "unknown check"),
    "findings --status": (["findings", "--status"], "invalid choice"),
    "controls --control": (["controls", "--control"], "see `nhi-risk controls` for the ids"),
    "controls --framework": (["controls", "--framework"], "unknown framework"),
    "metrics --as-of": (["metrics", "--as-of"], "expected a date"),
    "report --notebook": (["report", "--notebook"], "no notebook named"),
    "report --run-id": (["report", "--run-id"], "is not a plain folder name"),
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("option", list(FILTERS))
def test_hostile_filter_value_is_refused_as_a_value(warehouse, tmp_path, option, payload):
    command, refusal = FILTERS[option]
    argv = [*command, payload, "--db", str(warehouse)]
    if command[0] == "report":
        argv += ["--out", str(tmp_path)]

    code, stderr = _cli(argv)

    assert (code, refusal in stderr, "Traceback" in stderr) == (2, True, False)
    assert _events(warehouse) == EVENTS
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_hostile_identity_parameter_is_a_name_that_no_source_holds(warehouse, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as failed:
        run_notebook(
            "20_privilege_drift", tmp_path / "out.ipynb", db=str(warehouse), identity=DROP
        )

    assert failed.value.ename == "UsageError"
    assert "no loaded source names the identity" in failed.value.evalue
    assert _events(warehouse) == EVENTS


@pytest.mark.slow
def test_hostile_account_and_owner_parameters_select_no_identity(warehouse, tmp_path):
    # The page runs to the end: scoped to an account and owner nobody has, it shows nobody.
    notebook = run_notebook(
        "20_privilege_drift",
        tmp_path / "out.ipynb",
        db=str(warehouse),
        account=DROP,
        owner="$account",
    )

    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert _events(warehouse) == EVENTS


@pytest.mark.slow
def test_hostile_as_of_parameter_is_refused_as_not_a_time(warehouse, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as failed:
        run_notebook("00_data_overview", tmp_path / "out.ipynb", db=str(warehouse), as_of=DROP)

    assert failed.value.ename == "ValueError"
    assert "expected a date such as 2026-11-30" in failed.value.evalue
    assert _events(warehouse) == EVENTS


# SQL built by formatting names the scan cannot prove constant, each with why it is safe.
# Keys are (file under analytics/, name formatted into the SQL).
SAFE_NAMES = {
    ("ingest/batch.py", "table"): "a canonical table name: TABLE_KEYS or the schema's tables, "
    "checked against the warehouse's columns before the insert",
    ("ingest/batch.py", "columns"): "the key columns of TABLE_KEYS",
    ("ingest/batch.py", "c"): "one of the key columns of TABLE_KEYS",
    ("metrics/checks.py", "table"): "a temporary table name from a module's _TABLES constant",
    ("warehouse.py", "table"): "a table of the packaged schema, read from an in-memory copy",
    ("warehouse.py", "column"): "a column of the packaged schema, read from an in-memory copy",
    ("warehouse.py", "kind"): "a column type of the packaged schema, read from an in-memory copy",
}
SQL_METHODS = {"execute", "executemany", "sql", "query"}
CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")


def _formatted_names(
    node: ast.expr, assigned: dict[str, list[ast.expr]], depth: int = 0
) -> set[str]:
    """Names whose values are formatted into the SQL text ``node`` builds.

    A ``sql_text(...)`` call is SQL from the package's files and an UPPER_CASE name a
    constant. A plain name is followed to its assignments in the same function (twice at
    most); one that is not assigned there (a parameter, a loop variable) is reported.
    """
    if isinstance(node, ast.Constant):
        return set()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "sql_text":
            return set()
    if isinstance(node, ast.Name):
        if CONSTANT.fullmatch(node.id):
            return set()
        if depth >= 2 or node.id not in assigned:
            return {node.id}
        return set().union(
            *(_formatted_names(value, assigned, depth + 1) for value in assigned[node.id])
        )
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        parts = [node.left, node.right]
    elif isinstance(node, ast.IfExp):
        parts = [node.body, node.orelse]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # "...".format(...), " and ".join(...): every name in the arguments.
        parts = [*node.args, *(k.value for k in node.keywords)]
        if not isinstance(node.func.value, ast.Constant):
            parts.append(node.func.value)
    else:
        parts = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    return set().union(*(_formatted_names(part, assigned, depth) for part in parts))


def _sql_names(sql: ast.expr, assigned: dict[str, list[ast.expr]]) -> set[str]:
    """Names formatted into a call's SQL argument; SQL handed in whole by the caller (a
    parameter named at the call) is the caller's to check."""
    if isinstance(sql, ast.Name) and sql.id not in assigned:
        return set()
    return _formatted_names(sql, assigned)


def _formatted_sql() -> dict[tuple[str, str], list[int]]:
    """``{(file, name): [line, ...]}`` for every name formatted into SQL in analytics/."""
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            assigned: dict[str, list[ast.expr]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned.setdefault(target.id, []).append(node.value)
            for node in ast.walk(function):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SQL_METHODS
                    and node.args
                ):
                    continue
                for name in _sql_names(node.args[0], assigned):
                    key = (path.relative_to(PACKAGE_DIR).as_posix(), name)
                    found.setdefault(key, []).append(node.lineno)
    return found


def test_sql_is_never_formatted_from_a_value():
    formatted = _formatted_sql()

    unexplained = {key: lines for key, lines in formatted.items() if key not in SAFE_NAMES}
    assert unexplained == {}, "bind these as parameters, or say in SAFE_NAMES why they are safe"
    assert sorted(set(SAFE_NAMES) - set(formatted)) == [], "SAFE_NAMES lists code that is gone"


@pytest.mark.parametrize(
    "built",
    [
        "f\"select * from events where identity_id = '{name}'\"",
        "\"select * from events where identity_id = '%s'\" % name",
        "\"select * from events where identity_id = '{}'\".format(name)",
        '"select * from events where identity_id = \'" + name + "\'"',
    ],
    ids=["f-string", "percent", "format", "concatenation"],
)
def test_the_sql_scan_finds_a_value_formatted_into_sql(built):
    # The value passes through a local variable and a second f-string, as real code would.
    source = (
        f"def find(con, name):\n    sql = {built}\n    return con.execute(f'{{sql}} limit 5')\n"
    )
    function = ast.parse(source).body[0]
    assigned = {"sql": [function.body[0].value]}
    call = function.body[1].value

    assert _sql_names(call.args[0], assigned) == {"name"}
