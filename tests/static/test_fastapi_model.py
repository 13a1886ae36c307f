"""The FastAPI model: apps, routers, full route paths, methods and dependency trees."""

from __future__ import annotations

from pathlib import Path

from checking import write

from fastapi_medic.config import Config
from fastapi_medic.static import load_project
from fastapi_medic.static.fastapi_model import AppModel, Dependency, Route

APPS = Path(__file__).parent.parent / "apps"


def _model(root: Path) -> AppModel:
    return load_project([root], Config(root=root, max_workers=1), use_cache=False).app


def _routes(root: Path) -> dict[str, Route]:
    """Routes by label (``GET /items``); every label must be unique."""
    routes = _model(root).routes
    by_label = {route.label: route for route in routes}
    assert len(by_label) == len(routes), [route.label for route in routes]
    return by_label


def _tree(deps: list[Dependency]) -> list[object]:
    """``via:label`` of each dependency, children nested after their parent."""
    out: list[object] = []
    for dep in deps:
        out.append(f"{dep.via}:{dep.label}")
        if dep.children:
            out.append(_tree(dep.children))
    return out


# -- paths ---------------------------------------------------------------------------------


def test_prefixes_concatenate_when_routers_are_nested_three_levels(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import APIRouter, FastAPI

                app = FastAPI()
                api = APIRouter(prefix="/api")
                v1 = APIRouter(prefix="/v1")
                items = APIRouter(prefix="/items")


                @items.get("/{item_id}")
                def read_item(item_id: int): ...


                @api.get("/health")
                def health(): ...


                v1.include_router(items, prefix="/shop")
                api.include_router(v1)
                app.include_router(api, prefix="/base")
            """
        },
    )

    routes = _routes(project)

    assert set(routes) == {"GET /base/api/v1/shop/items/{item_id}", "GET /base/api/health"}
    assert all(route.mounted for route in routes.values())


def test_router_defined_in_another_module_is_included_by_module_attribute(
    project: Path,
) -> None:
    write(
        project,
        {
            "app/__init__.py": "",
            "app/main.py": """\
                from fastapi import FastAPI

                from app.routers import users

                app = FastAPI()
                app.include_router(users.router, prefix="/users")
            """,
            "app/routers/__init__.py": "",
            "app/routers/users.py": """\
                from fastapi import APIRouter

                router = APIRouter(tags=["users"])


                @router.post("")
                def create_user(): ...
            """,
        },
    )

    [route] = _routes(project).values()

    assert (route.label, route.rel, route.qualname) == (
        "POST /users",
        "app/routers/users.py",
        "create_user",
    )


def test_router_reexported_by_a_package_is_included(project: Path) -> None:
    write(
        project,
        {
            "api/__init__.py": "from api.log_router import log_router\n",
            "api/log_router.py": """\
                from fastapi import APIRouter

                log_router = APIRouter()


                @log_router.get("/logs")
                def logs(): ...
            """,
            "main.py": """\
                from fastapi import FastAPI

                from api import log_router

                app = FastAPI()
                app.include_router(log_router)
            """,
        },
    )

    assert _routes(project)["GET /logs"].mounted


def test_app_factory_routes_are_mounted_when_the_app_is_built_in_a_function(
    project: Path,
) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import APIRouter, FastAPI

                router = APIRouter(prefix="/orders")


                @router.get("")
                def list_orders(): ...


                def create_app() -> FastAPI:
                    app = FastAPI()
                    app.include_router(router, prefix="/api")

                    @app.get("/health")
                    def health(): ...

                    return app


                app = create_app()
                extra = APIRouter()


                @extra.get("/late")
                def late(): ...


                app.include_router(extra)
            """
        },
    )

    routes = _routes(project)

    assert set(routes) == {"GET /api/orders", "GET /health", "GET /late"}
    assert all(route.mounted for route in routes.values())
    assert routes["GET /health"].qualname == "create_app.health"


def test_router_factory_result_is_included_when_called_in_include_router(project: Path) -> None:
    write(
        project,
        {
            "routers.py": """\
                from fastapi import APIRouter


                def create_v1_router() -> APIRouter:
                    router = APIRouter(prefix="/v1")
                    admin = APIRouter(prefix="/admin")

                    @admin.get("/stats")
                    def stats(): ...

                    router.include_router(admin)
                    return router
            """,
            "main.py": """\
                from fastapi import FastAPI

                from routers import create_v1_router

                app = FastAPI()
                app.include_router(create_v1_router())
            """,
        },
    )

    assert _routes(project)["GET /v1/admin/stats"].mounted


def test_routers_included_in_a_loop_over_a_list_are_mounted(project: Path) -> None:
    write(
        project,
        {
            "routes/__init__.py": "",
            "routes/a.py": """\
                from fastapi import APIRouter

                router = APIRouter(prefix="/a")


                @router.get("")
                def a(): ...
            """,
            "routes/b.py": """\
                from fastapi import APIRouter

                router = APIRouter(prefix="/b")


                @router.get("")
                def b(): ...
            """,
            "registry.py": """\
                from routes import a, b

                ROUTERS = (a.router, b.router)
            """,
            "main.py": """\
                from fastapi import FastAPI

                from registry import ROUTERS
                from routes import a

                app = FastAPI()
                for router in ROUTERS:
                    app.include_router(router, prefix="/api")


                def create_admin() -> FastAPI:
                    admin = FastAPI()
                    for router in [a.router]:
                        admin.include_router(router)
                    return admin


                app.mount("/admin", create_admin())
            """,
        },
    )

    routes = _routes(project)

    assert set(routes) == {"GET /api/a", "GET /api/b", "GET /admin/a"}
    assert all(route.mounted for route in routes.values())


def test_parameter_app_is_the_callers_app_when_passed_by_name(project: Path) -> None:
    write(
        project,
        {
            "setup.py": """\
                from fastapi import FastAPI

                from views import router


                def init_views(app: FastAPI) -> None:
                    app.include_router(router, prefix="/ui")

                    @app.get("/health")
                    def health(): ...


                def init_docs(app) -> None:
                    @app.get("/docs-redirect")
                    def docs(): ...
            """,
            "views.py": """\
                from fastapi import APIRouter

                router = APIRouter()


                @router.get("/home")
                def home(): ...
            """,
            "main.py": """\
                from fastapi import FastAPI

                from setup import init_docs, init_views


                def create_app() -> FastAPI:
                    app = FastAPI()
                    init_views(app)
                    init_docs(app=app)
                    return app


                api = FastAPI()
                api.mount("/core", create_app())
            """,
        },
    )

    routes = _routes(project)

    assert set(routes) == {"GET /core/ui/home", "GET /core/health", "GET /core/docs-redirect"}
    assert all(route.mounted for route in routes.values())


def test_router_is_reported_unmounted_when_no_app_includes_it(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import APIRouter, FastAPI

                app = FastAPI()
                orphan = APIRouter(prefix="/orphan")
                inner = APIRouter(prefix="/inner")


                @inner.get("/x")
                def x(): ...


                @app.get("/")
                def root(): ...


                orphan.include_router(inner)
            """
        },
    )

    routes = _routes(project)

    assert routes["GET /"].mounted
    assert not routes["GET /orphan/inner/x"].mounted


def test_path_constant_is_read_and_unknown_paths_are_marked(project: Path) -> None:
    write(
        project,
        {
            "paths.py": 'API_PREFIX = "/api/v2"\n',
            "main.py": """\
                from fastapi import APIRouter, FastAPI

                from paths import API_PREFIX

                app = FastAPI()
                router = APIRouter(prefix=API_PREFIX)
                HEALTH = "/health"


                @router.get(HEALTH)
                def health(): ...


                @router.get(settings.path)
                def configured(): ...


                @router.get(f"/files/{kind}")
                def files(): ...


                app.include_router(router)
            """,
        },
    )

    assert set(_routes(project)) == {
        "GET /api/v2/health",
        "GET /api/v2<settings.path>",
        "GET /api/v2/files/<?>",
    }


def test_router_subclass_is_recognised_by_name_when_its_module_is_not_checked(
    project: Path,
) -> None:
    write(
        project,
        {
            "api/flows.py": """\
                from fastapi import FastAPI

                from utilities.server import ServerRouter
                from utilities.other import Router as LlmRouter

                app = FastAPI()
                router = ServerRouter(prefix="/flows")
                llm = LlmRouter()


                @router.post("/filter")
                def read_flows(): ...


                app.include_router(router, prefix="/api")
            """,
            "utilities/server.py": """\
                from fastapi import APIRouter


                class ServerRouter(APIRouter): ...
            """,
        },
    )

    model = load_project(
        [project / "api"], Config(root=project, max_workers=1), use_cache=False
    ).app

    assert [route.label for route in model.routes] == ["POST /api/flows/filter"]
    # a guessed router that no route uses is forgotten
    assert sorted(key[1] for key in model.objects) == ["app", "router"]


def test_cadwyn_versioned_routers_are_included(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from cadwyn import Cadwyn, VersionedAPIRouter

                router = VersionedAPIRouter(prefix="/tasks")


                @router.get("/{task_id}")
                def get_task(task_id: str): ...


                def create_app() -> Cadwyn:
                    app = Cadwyn()
                    app.generate_and_include_versioned_routers(router)
                    return app
            """
        },
    )

    assert _routes(project)["GET /tasks/{task_id}"].mounted


# -- methods -------------------------------------------------------------------------------


def test_methods_come_from_the_decorator_and_api_route_lists(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import FastAPI, WebSocket

                app = FastAPI()
                PROXY_METHODS = ["GET", "POST", "DELETE"]


                @app.api_route("/both", methods=["get", "head"])
                def both(): ...


                @app.api_route("/proxy/{path:path}", methods=PROXY_METHODS)
                def proxy(path: str): ...


                @app.api_route("/default")
                def default(): ...


                @app.websocket("/ws")
                async def ws(websocket: WebSocket): ...


                @app.delete("/items/{item_id}")
                def delete_item(item_id: int): ...
            """
        },
    )

    assert set(_routes(project)) == {
        "GET,HEAD /both",
        "GET,POST,DELETE /proxy/{path:path}",
        "GET /default",
        "WEBSOCKET /ws",
        "DELETE /items/{item_id}",
    }


def test_add_api_route_registers_functions_defined_anywhere(project: Path) -> None:
    write(
        project,
        {
            "handlers.py": """\
                def list_groups(): ...


                async def stream(websocket): ...


                def make_counter(start: int):
                    async def count():
                        return start

                    return count
            """,
            "main.py": """\
                from fastapi import APIRouter, FastAPI

                from handlers import list_groups, make_counter, stream

                app = FastAPI()
                router = APIRouter(prefix="/groups")
                router.add_api_route("", list_groups, methods=["GET"])
                router.add_api_websocket_route("/stream", stream)
                router.add_api_route("/count", make_counter(3))


                def register(target: APIRouter) -> None:
                    def create(): ...

                    target.add_api_route("/new", create, methods=["POST"])


                register(router)
                app.include_router(router)
            """,
        },
    )

    routes = _routes(project)

    assert set(routes) == {
        "GET /groups",
        "WEBSOCKET /groups/stream",
        "GET /groups/count",
        "POST /groups/new",
    }
    assert routes["GET /groups"].rel == "handlers.py"
    assert routes["GET /groups/count"].qualname == "make_counter.count"
    assert routes["POST /groups/new"].qualname == "register.create"
    assert all(route.mounted for route in routes.values())


# -- dependencies --------------------------------------------------------------------------


def test_dependency_tree_follows_nested_dependencies_and_marks_yield(project: Path) -> None:
    write(
        project,
        {
            "deps.py": """\
                from fastapi import Depends


                async def get_db():
                    yield "db"


                def get_user(db=Depends(get_db)):
                    return "user"


                def get_admin(user=Depends(get_user)):
                    return user
            """,
            "main.py": """\
                from fastapi import Depends, FastAPI

                from deps import get_admin

                app = FastAPI()


                @app.get("/admin")
                def admin(admin=Depends(get_admin)): ...
            """,
        },
    )

    [route] = _routes(project).values()

    assert _tree(route.dependencies) == ["admin:get_admin", ["user:get_user", ["db:get_db"]]]
    db = route.dependencies[0].children[0].children[0]
    assert (db.is_generator, db.is_async, db.symbol and db.symbol.rel) == (True, True, "deps.py")


def test_annotated_alias_imported_from_another_module_is_a_dependency(project: Path) -> None:
    write(
        project,
        {
            "deps.py": """\
                from typing import Annotated

                from fastapi import Depends


                def get_session():
                    yield "session"


                SessionDep = Annotated[str, Depends(get_session)]
            """,
            "main.py": """\
                from typing import Annotated

                from fastapi import Depends, FastAPI

                from deps import SessionDep

                app = FastAPI()


                def get_token() -> str: ...


                @app.get("/items")
                def items(session: SessionDep, token: Annotated[str, Depends(get_token)]): ...
            """,
        },
    )

    [route] = _routes(project).values()

    assert _tree(route.dependencies) == ["session:get_session", "token:get_token"]
    assert route.dependencies[0].symbol is not None
    assert route.dependencies[0].symbol.rel == "deps.py"


def test_class_dependencies_use_init_and_instances_use_call(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import Depends, FastAPI, Security

                app = FastAPI()


                def get_settings(): ...


                class Pagination:
                    def __init__(self, settings=Depends(get_settings)): ...


                class RateLimiter:
                    def __init__(self, limit: int): ...

                    async def __call__(self, settings=Depends(get_settings)): ...


                limiter = RateLimiter(10)


                @app.get("/items")
                def items(
                    page: Pagination = Depends(),
                    _limit=Depends(RateLimiter(5)),
                    _key=Security(limiter),
                ): ...
            """
        },
    )

    [route] = _routes(project).values()

    assert _tree(route.dependencies) == [
        "page:Pagination",
        ["settings:get_settings"],
        "_limit:RateLimiter()",
        ["settings:get_settings"],
        "_key:limiter",
        ["settings:get_settings"],
    ]
    assert route.dependencies[1].is_async


def test_dependency_factory_resolves_to_the_function_it_returns(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import Depends, FastAPI

                app = FastAPI()


                def get_user(): ...


                def requires_role(role: str):
                    def check(user=Depends(get_user)):
                        return user

                    return check


                @app.get("/admin")
                def admin(user=Depends(requires_role("admin"))): ...
            """
        },
    )

    [route] = _routes(project).values()

    assert _tree(route.dependencies) == ["user:requires_role()", ["user:get_user"]]
    symbol = route.dependencies[0].symbol
    assert symbol is not None
    assert symbol.qualname == "requires_role.check"


def test_declared_dependencies_accumulate_from_app_router_include_and_decorator(
    project: Path,
) -> None:
    write(
        project,
        {
            "security.py": """\
                def require_auth(): ...


                def audit(): ...
            """,
            "routes.py": """\
                from fastapi import APIRouter, Depends

                from security import require_auth

                router = APIRouter(dependencies=[Depends(require_auth)])


                def rate_limit(): ...


                @router.get("/items", dependencies=[Depends(rate_limit)])
                def items(): ...
            """,
            "main.py": """\
                from fastapi import Depends, FastAPI

                from routes import router
                from security import audit


                def app_wide(): ...


                DEPENDENCIES = [Depends(audit)]
                app = FastAPI(dependencies=[Depends(app_wide)])
                app.include_router(router, dependencies=DEPENDENCIES)
            """,
        },
    )

    [route] = _routes(project).values()

    assert _tree(route.dependencies) == [
        "app:app_wide",
        "router:audit",
        "router:require_auth",
        "decorator:rate_limit",
    ]
    # each name resolves in the module that wrote it, not in the endpoint's module
    assert [d.symbol.rel if d.symbol else None for d in route.dependencies] == [
        "main.py",
        "security.py",
        "security.py",
        "routes.py",
    ]


def test_mounted_sub_app_does_not_inherit_the_parent_dependencies(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import Depends, FastAPI


                def outer(): ...


                app = FastAPI(dependencies=[Depends(outer)])
                sub = FastAPI()


                @sub.get("/ping")
                def ping(): ...


                app.mount("/sub", sub)
            """
        },
    )

    route = _routes(project)["GET /sub/ping"]

    assert route.mounted
    assert route.dependencies == []


def test_parameter_default_resolves_outside_the_function_when_names_clash(
    project: Path,
) -> None:
    write(
        project,
        {
            "main.py": """\
                from fastapi import FastAPI, Security
                from fastapi.security import APIKeyHeader

                app = FastAPI()
                api_key_header = APIKeyHeader(name="x-key")


                async def auth(api_key_header: str = Security(api_key_header)): ...


                @app.get("/me")
                async def me(user=Security(auth)): ...
            """
        },
    )

    [route] = _routes(project).values()

    [auth] = route.dependencies
    [header] = auth.children
    assert header.symbol is not None
    assert (header.symbol.kind, header.symbol.qualname) == ("value", "api_key_header")


# -- a checked-in layout -------------------------------------------------------------------


def test_layered_app_in_tests_apps_has_every_route_mounted() -> None:
    routes = _routes(APPS / "factory-layout")

    assert set(routes) == {
        "GET /api/v1/users/{user_id}",
        "POST /api/v1/users",
        "GET /api/v1/orders",
        "WEBSOCKET /api/v1/orders/live",
        "GET /healthz",
    }
    assert all(route.mounted for route in routes.values())
    user = routes["GET /api/v1/users/{user_id}"]
    assert _tree(user.dependencies) == ["router:require_token", "db:get_db"]
