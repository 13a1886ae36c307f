"""The environment codes (MED6xx), declared next to their detectors.

MED601-619 start commands, MED620-629 Python versions, MED630-639 packages, MED640-659
environment variables and database URLs, MED699 a config file that cannot be read.
"""

from __future__ import annotations

from fastapi_medic.env.rules.packages import (
    DeclaredPackageMissing,
    ImportUndeclared,
    InstalledVersionDiffers,
    OptionalDependencyMissing,
    PlatformOnlyPin,
    Psycopg2SourceBuild,
)
from fastapi_medic.env.rules.python import (
    PythonVersionDiffers,
    PythonVersionSourcesDisagree,
    PythonVersionUnpinned,
    PythonVersionYamlFloat,
)
from fastapi_medic.env.rules.start import (
    AppAttributeMissing,
    AppFactoryWithoutFlag,
    AppImportFailure,
    AppModuleUnresolvable,
    AppObjectNotAsgi,
    EntrypointsDisagree,
    PlatformPortIgnored,
    PortVariableUnexpanded,
    ReloadInProduction,
    ServerBoundToLoopback,
    WsgiServerForAsgiApp,
)
from fastapi_medic.env.rules.variables import (
    ConfigUnparsable,
    DatabaseDriverUnavailable,
    DatabaseHostLoopback,
    DatabaseUrlEngineMismatch,
    DatabaseUrlPostgresScheme,
    DatabaseUrlSslmodeAsyncpg,
    DatabaseUrlUnparseable,
    EnvBooleanString,
    EnvValueEmpty,
    EnvVarUnset,
    SqlitePathRelative,
)

__all__ = [
    "AppAttributeMissing",
    "AppFactoryWithoutFlag",
    "AppImportFailure",
    "AppModuleUnresolvable",
    "AppObjectNotAsgi",
    "ConfigUnparsable",
    "DatabaseDriverUnavailable",
    "DatabaseHostLoopback",
    "DatabaseUrlEngineMismatch",
    "DatabaseUrlPostgresScheme",
    "DatabaseUrlSslmodeAsyncpg",
    "DatabaseUrlUnparseable",
    "DeclaredPackageMissing",
    "EntrypointsDisagree",
    "EnvBooleanString",
    "EnvValueEmpty",
    "EnvVarUnset",
    "ImportUndeclared",
    "InstalledVersionDiffers",
    "OptionalDependencyMissing",
    "PlatformOnlyPin",
    "PlatformPortIgnored",
    "PortVariableUnexpanded",
    "Psycopg2SourceBuild",
    "PythonVersionDiffers",
    "PythonVersionSourcesDisagree",
    "PythonVersionUnpinned",
    "PythonVersionYamlFloat",
    "ReloadInProduction",
    "ServerBoundToLoopback",
    "SqlitePathRelative",
    "WsgiServerForAsgiApp",
]
