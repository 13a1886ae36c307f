"""Name and module resolution across a project (``Project.resolve`` / ``resolve_module``)."""

from __future__ import annotations

from pathlib import Path

from checking import write

from fastapi_medic.config import Config
from fastapi_medic.static import load_project
from fastapi_medic.static.model import FunctionInfo
from fastapi_medic.static.project import Project, Symbol


def _load(root: Path) -> Project:
    return load_project([root], Config(root=root, max_workers=1), use_cache=False).project


def _fn(project: Project, rel: str, qualname: str) -> FunctionInfo:
    fn = project.function(rel, qualname)
    assert fn is not None, f"{rel}:{qualname} not found"
    return fn


def _callee(project: Project, rel: str, qualname: str, callee: str) -> Symbol | None:
    """What the call ``callee`` inside ``qualname`` resolves to (it must be a call there)."""
    fn = _fn(project, rel, qualname)
    assert callee in {call.callee for call in fn.calls}, [call.callee for call in fn.calls]
    return project.resolve(rel, fn, callee)


# -- modules -------------------------------------------------------------------------------


def test_relative_imports_resolve_when_one_or_two_levels_up(project: Path) -> None:
    write(
        project,
        {
            "app/__init__.py": "",
            "app/core.py": "def settings(): ...\n",
            "app/api/__init__.py": "",
            "app/api/deps.py": "def get_db(): ...\n",
            "app/api/routes.py": """\
                from . import deps
                from .deps import get_db
                from ..core import settings


                def handler():
                    get_db()
                    deps.get_db()
                    settings()
            """,
        },
    )
    model = _load(project)

    rel = "app/api/routes.py"
    assert _callee(model, rel, "handler", "get_db") == Symbol(
        "function", "app/api/deps.py", "get_db"
    )
    assert _callee(model, rel, "handler", "deps.get_db") == Symbol(
        "function", "app/api/deps.py", "get_db"
    )
    assert _callee(model, rel, "handler", "settings") == Symbol(
        "function", "app/core.py", "settings"
    )


def test_namespace_package_resolves_when_directories_have_no_init(project: Path) -> None:
    write(
        project,
        {
            "service/api/handlers.py": "from service.db.session import open_session\n",
            "service/db/session.py": "def open_session(): ...\n",
        },
    )
    model = _load(project)

    assert model.resolve_module("service.db.session", "service/api/handlers.py") == (
        "service/db/session.py"
    )
    assert model.resolve_module("service.db", "service/api/handlers.py") == "service/db/"
    assert model.resolve("service/api/handlers.py", None, "open_session") == Symbol(
        "function", "service/db/session.py", "open_session"
    )


def test_src_layout_resolves_absolute_imports_when_checked_from_the_repository(
    project: Path,
) -> None:
    write(
        project,
        {
            "src/shop/__init__.py": "",
            "src/shop/main.py": "from shop.services.orders import place\n",
            "src/shop/services/__init__.py": "",
            "src/shop/services/orders.py": "def place(): ...\n",
        },
    )
    model = _load(project)

    assert model.resolve("src/shop/main.py", None, "place") == Symbol(
        "function", "src/shop/services/orders.py", "place"
    )


def test_import_of_a_dotted_module_binds_its_top_package(project: Path) -> None:
    write(
        project,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/tools.py": "def run(): ...\n",
            "main.py": """\
                import pkg.sub.tools
                import pkg.sub.tools as tools


                def go():
                    pkg.sub.tools.run()
                    tools.run()
            """,
        },
    )
    model = _load(project)

    expected = Symbol("function", "pkg/sub/tools.py", "run")
    assert _callee(model, "main.py", "go", "pkg.sub.tools.run") == expected
    assert _callee(model, "main.py", "go", "tools.run") == expected


def test_external_import_resolves_to_its_documented_name(project: Path) -> None:
    write(project, {"main.py": "from requests.api import get as fetch\n"})
    model = _load(project)

    assert model.resolve("main.py", None, "fetch") == Symbol("external", external="requests.get")


# -- re-exports ----------------------------------------------------------------------------


def test_init_reexport_resolves_to_the_defining_module(project: Path) -> None:
    write(
        project,
        {
            "app/__init__.py": "from app.services.billing import charge\n",
            "app/services/__init__.py": "",
            "app/services/billing.py": "def charge(): ...\n",
            "main.py": "from app import charge\n",
        },
    )
    model = _load(project)

    assert model.resolve("main.py", None, "charge") == Symbol(
        "function", "app/services/billing.py", "charge"
    )


def test_package_attribute_hides_a_submodule_of_the_same_name(project: Path) -> None:
    # `from api import log_router` gets what api/__init__.py binds, not api/log_router.py
    write(
        project,
        {
            "api/__init__.py": "from api.log_router import log_router\n",
            "api/log_router.py": "log_router = object()\n",
            "main.py": "from api import log_router\n",
        },
    )
    model = _load(project)

    assert model.resolve("main.py", None, "log_router") == Symbol(
        "value", "api/log_router.py", "log_router", external="object()", instance=True
    )


def test_package_importing_its_own_submodule_resolves_to_the_module(project: Path) -> None:
    write(
        project,
        {
            "api/__init__.py": "from . import users\n",
            "api/users.py": "def list_users(): ...\n",
            "main.py": "import api\n\n\ndef go():\n    api.users.list_users()\n",
        },
    )
    model = _load(project)

    assert _callee(model, "main.py", "go", "api.users.list_users") == Symbol(
        "function", "api/users.py", "list_users"
    )


def test_star_import_resolves_names_of_the_starred_module(project: Path) -> None:
    write(
        project,
        {
            "models/__init__.py": "from .base import *\nfrom .users import *\n",
            "models/base.py": "class Base: ...\n",
            "models/users.py": "from .base import Base\n\n\nclass User(Base): ...\n",
            "main.py": "from models import User\n",
        },
    )
    model = _load(project)

    assert model.resolve("main.py", None, "User") == Symbol("class", "models/users.py", "User")


def test_star_imports_that_import_each_other_end(project: Path) -> None:
    write(project, {"a.py": "from b import *\n", "b.py": "from a import *\n"})
    model = _load(project)

    assert model.resolve("a.py", None, "missing") is None


# -- scopes --------------------------------------------------------------------------------


def test_type_checking_import_resolves_like_a_module_import(project: Path) -> None:
    write(
        project,
        {
            "db.py": "class Session: ...\n",
            "main.py": """\
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from db import Session


                def work(session: Session):
                    session.commit()
            """,
        },
    )
    model = _load(project)

    assert model.resolve("main.py", None, "Session") == Symbol("class", "db.py", "Session")
    symbol = _callee(model, "main.py", "work", "session.commit")
    assert symbol is None  # a project class without that method: nothing to resolve


def test_function_local_import_resolves_inside_that_function_only(project: Path) -> None:
    write(
        project,
        {
            "tasks.py": "def send(): ...\n",
            "main.py": """\
                def inner():
                    from tasks import send
                    send()


                def outer():
                    send()
            """,
        },
    )
    model = _load(project)

    assert _callee(model, "main.py", "inner", "send") == Symbol("function", "tasks.py", "send")
    assert _callee(model, "main.py", "outer", "send") is None


def test_nested_function_resolves_from_its_enclosing_function(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                def register(router):
                    def handler():
                        ...

                    router.add_api_route("/x", handler)
            """
        },
    )
    model = _load(project)

    fn = _fn(model, "main.py", "register")
    assert model.resolve("main.py", fn, "handler") == Symbol(
        "function", "main.py", "register.handler"
    )


# -- classes and instances -----------------------------------------------------------------


def test_self_and_cls_resolve_to_methods_of_the_class(project: Path) -> None:
    write(
        project,
        {
            "svc.py": """\
                class Service:
                    def helper(self): ...

                    @classmethod
                    def build(cls): ...

                    def run(self):
                        self.helper()

                    @classmethod
                    def make(cls):
                        cls.build()
            """
        },
    )
    model = _load(project)

    assert _callee(model, "svc.py", "Service.run", "self.helper") == Symbol(
        "function", "svc.py", "Service.helper"
    )
    assert _callee(model, "svc.py", "Service.make", "cls.build") == Symbol(
        "function", "svc.py", "Service.build"
    )


def test_inherited_method_resolves_to_the_base_class_in_another_module(project: Path) -> None:
    write(
        project,
        {
            "base.py": "class Repository:\n    def save(self): ...\n",
            "users.py": """\
                from base import Repository


                class Users(Repository):
                    def create(self):
                        self.save()
            """,
        },
    )
    model = _load(project)

    assert _callee(model, "users.py", "Users.create", "self.save") == Symbol(
        "function", "base.py", "Repository.save"
    )


def test_instances_from_constructor_calls_and_annotations_resolve_their_methods(
    project: Path,
) -> None:
    write(
        project,
        {
            "clients.py": """\
                import httpx


                class Gateway:
                    def __init__(self):
                        self.http = httpx.Client()

                    def ping(self): ...

                    def call(self):
                        self.http.get("/")


                gateway = Gateway()


                def use(g: Gateway):
                    g.ping()
                    gateway.ping()
                    local = Gateway()
                    local.ping()
                    Gateway().ping()
            """
        },
    )
    model = _load(project)

    ping = Symbol("function", "clients.py", "Gateway.ping")
    for callee in ("g.ping", "gateway.ping", "local.ping", "Gateway().ping"):
        assert _callee(model, "clients.py", "use", callee) == ping, callee
    assert _callee(model, "clients.py", "Gateway.call", "self.http.get") == Symbol(
        "external", external="httpx.Client().get"
    )


def test_bare_final_annotation_keeps_the_type_of_the_assigned_call(project: Path) -> None:
    write(
        project,
        {
            "main.py": """\
                from typing import Final

                import httpx

                client: Final = httpx.Client()


                def go():
                    client.get("/")
            """
        },
    )
    model = _load(project)

    assert _callee(model, "main.py", "go", "client.get") == Symbol(
        "external", external="httpx.Client().get"
    )


def test_resolution_of_a_name_bound_nowhere_is_none(project: Path) -> None:
    write(project, {"main.py": "def go():\n    mystery()\n"})
    model = _load(project)

    assert _callee(model, "main.py", "go", "mystery") is None
