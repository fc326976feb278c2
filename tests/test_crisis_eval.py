"""The crisis matcher holds its targets on the project's evaluation set (tests/data/crisis_eval,
``bench/crisis.py`` prints the detail): a regression fails CI."""

import pytest

from tests.crisis_eval import FALSE_POSITIVE_TARGET, LANGUAGES, RECALL_TARGET, evaluate, items

REPORT = evaluate()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_set_is_large_enough_to_mean_something(language):
    found = items(language)
    assert sum(item.crisis for item in found) >= 150
    assert sum(not item.crisis for item in found) >= 150
    assert len(found) >= 300


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_catches_at_least_97_percent_of_crisis_statements(language):
    tally = REPORT.crisis[language]
    missed = [item.text for item in tally.wrong]
    assert tally.rate >= RECALL_TARGET, missed


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_flags_at_most_5_percent_of_look_alikes(language):
    tally = REPORT.look_alike[language]
    flagged = [item.text for item in tally.wrong]
    assert tally.rate <= FALSE_POSITIVE_TARGET, flagged
