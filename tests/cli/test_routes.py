"""``fastapi-medic routes``: every route with its endpoint and dependency tree."""

from __future__ import annotations

import json
from typing import Any

from ._projects import SHOP, MakeProject, invoke, line_of

APP = """\
    from fastapi import APIRouter, Depends, FastAPI

    app = FastAPI()
    items = APIRouter(prefix="/items")
    orphan = APIRouter(prefix="/orphan")


    def get_token() -> str:
        return "token"


    async def get_db():
        yield "db"


    @items.get("/{item_id}")
    def read_item(item_id: int, token: str = Depends(get_token)) -> dict[str, int]:
        return {"id": item_id}


    @app.post("/events")
    async def record(db: str = Depends(get_db)) -> None:
        return None


    @orphan.get("/")
    def forgotten() -> None:
        return None


    app.include_router(items, prefix="/v1")
"""


def _routes(result_stdout: str) -> dict[str, dict[str, Any]]:
    document = json.loads(result_stdout)
    assert document["version"] == 1
    return {route["path"]: route for route in document["routes"]}


def test_json_lists_each_route_with_its_endpoint_and_dependencies(
    make_project: MakeProject,
) -> None:
    project = make_project({"main.py": APP})

    result = invoke("routes", "--format", "json", project)

    assert result.exit_code == 0, result.output
    routes = _routes(result.stdout)
    assert set(routes) == {"/v1/items/{item_id}", "/events", "/orphan/"}
    item = routes["/v1/items/{item_id}"]
    assert item["methods"] == ["GET"]
    assert item["endpoint"] == {
        "path": "main.py",
        "line": line_of(APP, "def read_item"),
        "qualname": "read_item",
    }
    assert item["mounted"] is True
    assert item["dependencies"] == [
        {
            "name": "get_token",
            "via": "token",
            "path": "main.py",
            "qualname": "get_token",
            "yields": False,
            "async": False,
            "dependencies": [],
        }
    ]
    [db] = routes["/events"]["dependencies"]
    assert (db["name"], db["yields"], db["async"]) == ("get_db", True, True)
    assert routes["/orphan/"]["mounted"] is False


def test_text_has_one_line_per_route_and_a_summary(make_project: MakeProject) -> None:
    project = make_project({"main.py": APP})

    result = invoke("routes", project)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    line = line_of(APP, "def read_item")
    assert f"GET     /v1/items/{{item_id}}  read_item main.py:{line}" in lines
    assert "└── token: get_token main.py" in lines
    assert "└── db: get_db [yield, async] main.py" in lines
    assert any("/orphan/" in text and "(router not included in any app)" in text for text in lines)
    assert lines[-1] == "3 routes, 1 app, 2 routers in 1 file"


def test_example_app_routes_include_the_pay_route() -> None:
    result = invoke("routes", "--no-cache", "--format", "json", SHOP)

    assert result.exit_code == 0, result.output
    pay = _routes(result.stdout)["/orders/{order_id}/pay"]
    assert pay["methods"] == ["POST"]
    assert pay["endpoint"]["path"] == "app/routers/orders.py"
    assert {dep["name"] for dep in pay["dependencies"]} == {"get_db", "get_settings"}


def test_nonexistent_path_exits_2(make_project: MakeProject) -> None:
    project = make_project({"main.py": APP})

    result = invoke("routes", project / "missing")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "missing: no such file or directory" in result.stderr
