"""The test database under pytest-xdist: migrated once per run, copied by every worker.

Migrating takes long (some 230 migrations, most of them Wagtail's and Django's; the time goes
into Django rendering each migration's model states, not into SQL or data). Without xdist,
pytest-django's own `django_db_setup` is used as it is. With xdist, the first worker that needs
a database migrates a template (PostgreSQL: the database `test_<name>_template`; SQLite: a
file in a folder of this run) while the others wait on a lock; then each worker copies it
into its own database (PostgreSQL: `CREATE DATABASE test_<name>_gw0 TEMPLATE ...`; SQLite: the
in-memory database, by SQLite's backup). Everything the migrations create (Wagtail's root page
and locales, groups and permissions, categories, municipalities) is in every copy, since the
copy is the migrated database itself. The last worker done drops the template.

Also, for every run: a `transaction=True` test ends with Django emptying the database (flush),
and without xdist pytest-django runs those tests last so that nothing comes after them. With
xdist a worker runs a whole file, then the next: after such a test, the rows the migrations
made are loaded again (from the copy pytest-django serialised for `serialized_rollback`).
"""

import fcntl
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_django.fixtures import validate_django_db
from pytest_django.plugin import blocking_manager_key

_EMPTIED = pytest.StashKey[bool]()
_run_folders: set[Path] = set()


def _folder(testrunuid: str) -> Path:
    return Path(tempfile.gettempdir()) / f"minga-test-db-{testrunuid}"


@contextmanager
def _locked(folder: Path):
    folder.mkdir(exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _set_name(connection, name: str) -> None:
    from django.conf import settings

    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _build_template(connection, template: str, verbosity: int) -> None:
    """Migrate a new database named `template` (a file name on SQLite)."""
    test_settings = connection.settings_dict.setdefault("TEST", {})
    worker_test_name = test_settings.get("NAME")
    test_settings["NAME"] = template
    try:
        connection.creation.create_test_db(verbosity=verbosity, autoclobber=True, serialize=False)
    finally:
        test_settings["NAME"] = worker_test_name
    connection.close()


def _copy_template(connection, template: str, name: str) -> None:
    """Make `connection` use a new database `name`, a copy of `template`."""
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
            cursor.execute(f"CREATE DATABASE {quote(name)} WITH TEMPLATE {quote(template)}")
        _set_name(connection, name)
    else:
        _set_name(connection, name)
        connection.ensure_connection()
        source = sqlite3.connect(template)
        try:
            source.backup(connection.connection)
        finally:
            source.close()


def _shares_a_template(connection) -> bool:
    if connection.vendor == "postgresql":
        return True
    # SQLite: only the default in-memory test database (a TEST NAME is a file of its own).
    return connection.vendor == "sqlite" and not connection.settings_dict.get("TEST", {}).get("NAME")


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's fixture of that name, except that xdist workers copy one template."""
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    workerinput = getattr(request.config, "workerinput", None)
    verbosity = request.config.option.verbose
    shared = (
        workerinput is not None
        and django_db_use_migrations
        and not django_db_keepdb
        and set(aliases) == {"default"}
        and _shares_a_template(connections["default"])
    )
    if not shared:  # as pytest-django does it
        with django_db_blocker.unblock():
            config = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=django_db_keepdb and not django_db_createdb,
            )
        yield
        if not django_db_keepdb:
            with django_db_blocker.unblock():
                teardown_databases(config, verbosity=verbosity)
        return

    connection = connections["default"]
    folder = _folder(workerinput["testrunuid"])
    old_name = connection.settings_dict["NAME"]
    name = connection.creation._get_test_db_name()  # test_<name>_gw0, or SQLite's in-memory one
    if connection.vendor == "postgresql":
        template = name.removesuffix(f"_{workerinput['workerid']}") + "_template"
    else:
        template = str(folder / "template.sqlite3")
    users = folder / "users"
    with django_db_blocker.unblock(), _locked(folder):
        count = int(users.read_text()) if users.exists() else 0
        if count == 0:
            _build_template(connection, template, verbosity)
        users.write_text(str(count + 1))
        _copy_template(connection, template, name)
        if "default" in serialized_aliases:
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        connection.creation.destroy_test_db(old_name, verbosity)
        with _locked(folder):
            count = int(users.read_text()) - 1
            users.write_text(str(count))
            if count == 0 and connection.vendor == "postgresql":
                with connection.creation._nodb_cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(template)}")


def _database_use(item) -> tuple[bool, bool]:
    """(transactional, serialized_rollback) of `item`, as pytest-django reads them."""
    marker = item.get_closest_marker("django_db")
    transaction, reset_sequences, _databases, serialized_rollback, _apps = (
        validate_django_db(marker) if marker else (False, False, None, False, None)
    )
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = transaction or reset_sequences or bool({"transactional_db", "live_server"} & fixtures)
    return transactional, serialized_rollback or "django_db_serialized_rollback" in fixtures


@pytest.fixture(autouse=True)
def _note_a_transactional_test(request):
    """Marks the tests that pytest-django runs outside a transaction (as a TransactionTestCase);
    a test skipped before its fixtures never gets here."""
    if _database_use(request.node)[0]:
        request.node.stash[_EMPTIED] = True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a `transaction=True` test (and its flush), load the migrations' rows again."""
    try:
        return (yield)
    finally:
        next_reloads = nextitem is not None and _database_use(nextitem) == (True, True)
        if item.stash.get(_EMPTIED, False) and nextitem is not None and not next_reloads:
            from django.db import connection

            contents = getattr(connection, "_test_serialized_contents", None)
            if contents is not None:
                with item.config.stash[blocking_manager_key].unblock():
                    connection.creation.deserialize_db_from_string(contents)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist, in the controller: remember each run's folder, to remove it at the end."""
    _run_folders.add(_folder(node.workerinput["testrunuid"]))


def pytest_unconfigure(config):
    for folder in _run_folders:
        shutil.rmtree(folder, ignore_errors=True)
