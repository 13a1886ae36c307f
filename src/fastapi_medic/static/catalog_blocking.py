"""The catalogue of blocking calls: external names that block the calling thread.

Names are canonical dotted paths (see :func:`.project.canonical`); ``()`` marks an instance,
so ``requests.Session().get`` is the ``get`` method of a ``requests.Session`` object. An entry
ending in ``().`` covers every method of such an instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["BlockingCatalogue", "BlockingKind", "default_catalogue"]


@dataclass(frozen=True, slots=True)
class BlockingKind:
    """A family of blocking calls and what to use instead."""

    label: str
    fix: str


HTTP = BlockingKind("HTTP request", "Use `httpx.AsyncClient` and `await` it, or offload the call")
SLEEP = BlockingKind("sleep", "Use `await asyncio.sleep(...)`")
PROCESS = BlockingKind(
    "subprocess", "Use `asyncio.create_subprocess_exec`, or `await asyncio.to_thread(...)`"
)
FILE = BlockingKind("file I/O", "Use `anyio` file APIs, or `await asyncio.to_thread(...)`")
SOCKET = BlockingKind("socket I/O", "Use asyncio streams, or `await asyncio.to_thread(...)`")
DB = BlockingKind("database driver", "Use an async driver (asyncpg, aiomysql, redis.asyncio)")
CLOUD = BlockingKind("cloud SDK call", "Use `aioboto3`, or `await asyncio.to_thread(...)`")
MAIL = BlockingKind("SMTP", "Use `aiosmtplib`, or `await asyncio.to_thread(...)`")
FILE_METADATA = BlockingKind(
    "file system metadata call", "Usually fast; offload it if the disk may be remote or slow"
)
CONSOLE = BlockingKind("console input", "Do not read the console in a server")
SYNC = BlockingKind("thread synchronisation", "Use the asyncio equivalent, or offload the wait")
BULK = BlockingKind("bulk data read", "Read it with `await asyncio.to_thread(...)`")
SESSION = BlockingKind(
    "sync SQLAlchemy session", "Use `AsyncSession` and `await` it, or make the route a plain `def`"
)
ENGINE = BlockingKind(
    "sync SQLAlchemy engine", "Use `create_async_engine` and `await` it, or make the route a `def`"
)
CUSTOM = BlockingKind("configured blocking call", "Await an async equivalent, or offload the call")


def _db_methods(connection: str) -> dict[str, BlockingKind]:
    """The statements and transaction calls of a DB-API connection and its cursors."""
    names = ("execute", "executemany", "executescript", "commit", "rollback")
    fetches = ("execute", "executemany", "fetchone", "fetchall", "fetchmany", "callproc")
    return {
        **{f"{connection}.{name}": DB for name in names},
        **{f"{connection}.cursor().{name}": DB for name in fetches},
    }


_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

_DEFAULT: dict[str, BlockingKind] = {
    **{f"requests.{verb}": HTTP for verb in _VERBS},
    **{f"requests.Session().{verb}": HTTP for verb in (*_VERBS, "send")},
    **{f"{mod}.{verb}": HTTP for mod in ("httpx", "httpx2") for verb in (*_VERBS, "stream")},
    **{
        f"{mod}.Client().{verb}": HTTP
        for mod in ("httpx", "httpx2")
        for verb in (*_VERBS, "stream", "send", "close")
    },
    "urllib.request.urlopen": HTTP,
    "urllib.request.urlretrieve": HTTP,
    "urllib.request.build_opener().open": HTTP,
    "urllib3.request": HTTP,
    "urllib3.PoolManager().": HTTP,
    "urllib3.HTTPConnectionPool().": HTTP,
    "urllib3.HTTPSConnectionPool().": HTTP,
    "urllib3.ProxyManager().": HTTP,
    "urllib3.connectionpool.ConnectionPool().": HTTP,
    "urllib3.request.RequestMethods().": HTTP,
    "http.client.HTTPConnection().": HTTP,
    "http.client.HTTPSConnection().": HTTP,
    "time.sleep": SLEEP,
    **{
        f"subprocess.{name}": PROCESS
        for name in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput")
    },
    "subprocess.Popen": PROCESS,
    "subprocess.Popen().wait": PROCESS,
    "subprocess.Popen().communicate": PROCESS,
    **{
        f"os.{name}": PROCESS
        for name in (
            "system",
            "popen",
            "wait",
            "waitpid",
            "wait3",
            "wait4",
            "waitid",
            "posix_spawn",
            "posix_spawnp",
            "spawnl",
            "spawnle",
            "spawnlp",
            "spawnlpe",
            "spawnv",
            "spawnve",
            "spawnvp",
            "spawnvpe",
        )
    },
    "socket.create_connection": SOCKET,
    "socket.getaddrinfo": SOCKET,
    "socket.gethostbyname": SOCKET,
    "socket.gethostbyaddr": SOCKET,
    **{
        f"socket.socket().{name}": SOCKET
        for name in (
            "connect",
            "accept",
            "recv",
            "recvfrom",
            "recv_into",
            "send",
            "sendall",
            "sendto",
        )
    },
    "open": FILE,
    "io.open": FILE,
    "io.open_code": FILE,
    "os.fdopen": FILE,
    # methods of open file objects
    **{
        f"{opener}().": FILE
        for opener in (
            "open",
            "io.open",
            "os.fdopen",
            "io.TextIOWrapper",
            "io.BufferedReader",
            "io.BufferedWriter",
            "io.BufferedRandom",
            "io.FileIO",
            "pathlib.Path().open",
        )
    },
    **{
        f"os.path.{name}": FILE_METADATA
        for name in (
            "exists",
            "lexists",
            "isfile",
            "isdir",
            "islink",
            "ismount",
            "getsize",
            "getatime",
            "getmtime",
            "getctime",
            "samefile",
            "sameopenfile",
            "realpath",
            "relpath",
            "_joinrealpath",
        )
    },
    **{
        f"pathlib.Path().{name}": FILE
        for name in ("read_text", "read_bytes", "write_text", "write_bytes", "open")
    },
    **{
        f"shutil.{name}": FILE
        for name in (
            "copy",
            "copy2",
            "copyfile",
            "copyfileobj",
            "copytree",
            "rmtree",
            "move",
            "make_archive",
            "unpack_archive",
        )
    },
    "os.listdir": FILE,
    "os.scandir": FILE,
    "os.walk": FILE,
    "psycopg2.connect": DB,
    **_db_methods("psycopg2.connect()"),
    "psycopg.connect": DB,
    **_db_methods("psycopg.connect()"),
    "psycopg.Connection.connect": DB,
    "pymysql.connect": DB,
    **_db_methods("pymysql.connect()"),
    "MySQLdb.connect": DB,
    "sqlite3.connect": DB,
    **_db_methods("sqlite3.connect()"),
    "pymongo.MongoClient().": DB,
    "redis.Redis().": DB,
    "redis.StrictRedis().": DB,
    "redis.from_url().": DB,
    "redis.Redis.from_url().": DB,
    "boto3.client().": CLOUD,
    "boto3.resource().": CLOUD,
    "boto3.Session().client().": CLOUD,
    "boto3.session.Session().client().": CLOUD,
    "smtplib.SMTP": MAIL,
    "smtplib.SMTP_SSL": MAIL,
    "smtplib.SMTP().": MAIL,
    "smtplib.SMTP_SSL().": MAIL,
    "input": CONSOLE,
    "threading.Event().wait": SYNC,
    "threading.Thread().join": SYNC,
    "queue.Queue().get": SYNC,
    "queue.Queue().put": SYNC,
    "queue.Queue().join": SYNC,
    "concurrent.futures.Future().result": SYNC,
    **{
        f"pandas.{name}": BULK
        for name in (
            "read_csv",
            "read_excel",
            "read_parquet",
            "read_json",
            "read_sql",
            "read_table",
        )
    },
    "h5py.File": BULK,
    **{
        f"{session}.{method}": SESSION
        for session in (
            "sqlalchemy.orm.Session()",
            "sqlalchemy.orm.sessionmaker()()",
            "sqlalchemy.orm.scoped_session()",
            "sqlalchemy.orm.scoped_session()()",
        )
        for method in (
            "query",
            "execute",
            "scalars",
            "scalar",
            "get",
            "commit",
            "flush",
            "refresh",
            "rollback",
            "merge",
            "connection",
            "get_one",
        )
    },
    **{
        f"{engine}.{method}": ENGINE
        for engine in ("sqlalchemy.create_engine()", "sqlalchemy.engine.Engine()")
        for method in ("connect", "begin", "execute")
    },
}


#: Methods of SDK clients that work locally, without I/O (boto3 presigning, paginators).
_LOCAL_METHODS = frozenset(
    {
        "generate_presigned_url",
        "generate_presigned_post",
        "get_paginator",
        "get_waiter",
        "can_paginate",
        "meta",
        "exceptions",
    }
)


class BlockingCatalogue:
    """Looks up whether a canonical external name is a blocking call."""

    def __init__(self, entries: dict[str, BlockingKind]) -> None:
        self.exact = {k: v for k, v in entries.items() if not k.endswith(".")}
        self.prefixes = {k: v for k, v in entries.items() if k.endswith(".")}

    def match(self, name: str) -> BlockingKind | None:
        """The kind of blocking call ``name`` is, or None."""
        kind = self.exact.get(name)
        if kind is not None or not self.prefixes:
            return kind
        # a prefix covers the methods of the instance, not attributes of attributes
        # (``session.get`` blocks, ``session.headers.update`` does not)
        index = name.rfind("().")
        method = name[index + 3 :]
        if index < 0 or "." in method or method in _LOCAL_METHODS:
            return None
        return self.prefixes.get(name[: index + 3])

    def names(self) -> list[str]:
        """Every entry, for documentation."""
        return sorted([*self.exact, *self.prefixes])


def default_catalogue(extend: Iterable[str] = (), remove: Iterable[str] = ()) -> BlockingCatalogue:
    """The built-in catalogue, plus ``extend`` and minus ``remove`` (from configuration)."""
    entries = dict(_DEFAULT)
    for name in extend:
        entries[name] = CUSTOM
    for name in remove:
        entries.pop(name, None)
    return BlockingCatalogue(entries)
