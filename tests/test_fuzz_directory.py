"""Property-based tests (hypothesis, derandomised for CI) over the directory importer (SPEC §5):
whatever a coordinator's editor saves (random text, broken YAML, a good file with one field
mangled, bytes that are not UTF-8) gives a clean list of problems, each with its place and line,
never an exception; and ``phoneline import`` of such a file exits 1 and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services import directory
from tests.test_directory_import import GROUP, HEADER, file_text, run, snapshot

RULES = directory.Rules(languages=["en", "es"], region="US", today=date(2026, 11, 24))
FUZZ = settings(max_examples=300, derandomize=True, deadline=None)

FIELDS = sorted({*GROUP, "coordinators", "facilitators", "groups", "id", "phone", "dial_in",
                 "capacity", "zip", "number", "code", "on_call", "email", "timezone"})  # fmt: skip
SCALARS = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"-?[0-9]{1,25}(\.[0-9]+)?(e[0-9]{1,4})?", fullmatch=True),
    st.from_regex(r"[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}", fullmatch=True),  # dates, real or not
    st.from_regex(r"[0-9]{1,3}:[0-9]{1,3}", fullmatch=True),  # times and sexagesimals
    st.sampled_from(["~", "null", "yes", "no", "true", "on", ".inf", ".nan", "0x1F", "0o17",
                     "*a", "&a x", "!!binary x", "!!python/object:os.system", "!!set {a}",
                     "!!omap [a]", "|", ">-", "'", '"', "[", "]", "{", "}", "? ", "- ", "#",
                     "%YAML 1.1", "---", "...", "<<: *a", "\t", "\x00", "\x85", "\ufffe"]),
)  # fmt: skip
YAML_LINES = st.lists(
    st.tuples(
        st.integers(0, 8),
        st.sampled_from(["", "- ", "? "]),
        st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)),
        st.sampled_from([": ", ":", " : ", ": [", ": {", ": |\n", ": >\n"]),
        SCALARS,
    ).map(lambda t: " " * t[0] + t[1] + t[2] + t[3] + t[4]),
    max_size=30,
).map("\n".join)


def one_field_mangled(field: str, value: str) -> str:
    """The tests' good file with one group field written some other way."""
    return file_text({field: value})


MANGLED = st.builds(one_field_mangled, st.sampled_from(sorted(GROUP)), SCALARS)
ANY_FILE = st.one_of(st.text(max_size=500), YAML_LINES, MANGLED)


def read_cleanly(text: str) -> directory.Parsed:
    parsed = directory.parse(text, RULES)
    assert (parsed.directory is None) == bool(parsed.problems)
    for problem in parsed.problems:
        assert problem.line >= 1 and str(problem)
    return parsed


@FUZZ
@given(ANY_FILE)
def test_any_file_gives_a_list_of_problems_or_a_directory_never_an_error(text):
    read_cleanly(text)


@FUZZ
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_any_text_in_a_good_file_s_free_fields_is_checked_not_crashed_on(values):
    fields = ["name", "alias", "schedule", "timezone", "format", "slug", "facilitators", "topics"]
    read_cleanly(file_text(dict(zip(fields, (repr(v) for v in values), strict=False))))


@pytest.fixture
def imported_demo(app):
    assert run(app, "demo").exit_code == 0


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the database is the point
)
@given(
    st.one_of(ANY_FILE.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=300))
)
def test_importing_a_broken_file_exits_1_and_changes_nothing(
    app, session, tmp_path, imported_demo, content
):
    path = tmp_path / "directory.yaml"
    path.write_bytes(HEADER.encode() + content)
    before = snapshot(session)  # an earlier example may have been a good file, and imported
    result = run(app, "import", str(path))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if result.exit_code != 0:
        assert result.exit_code == 1 and "nothing was changed" in result.output
        assert snapshot(session) == before
