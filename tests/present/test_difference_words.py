"""The decision table's sentences: plan A vs plan B in words, lower-is-better made explicit."""

import pytest

from simulation.present.formats import (
    better_plan,
    difference_sentence,
    difference_value,
    difference_words,
    interval_words,
    share_words,
    short_label,
    short_labels,
)

POSTERIOR, SINGLE = "Posterior only", "Single stage"


def test_the_issue_example_reads_without_a_sign():
    # posterior-only minus single stage: -0.025 in risk, 95% interval -0.037 to -0.013
    mean, low, high = (difference_value("any_major_complication", d) for d in (-0.025, -0.037, -0.013))
    assert (mean, low, high) == pytest.approx((-2.5, -3.7, -1.3))
    assert difference_sentence(POSTERIOR, SINGLE, "any_major_complication", mean, low, high) == (
        "Posterior only vs Single stage: 2.5 fewer in 100 patients with a major complication (1.3 to 3.7 fewer)"
    )
    assert better_plan("any_major_complication", low, high, POSTERIOR, SINGLE) == "Posterior only"


def test_more_risk_and_a_straddling_interval():
    assert difference_words("death", 1.04) == "1.0 more in 100 deaths"
    assert interval_words("death", -0.4, 2.5) == "0.4 fewer to 2.5 more"
    assert better_plan("death", -0.4, 2.5, POSTERIOR, SINGLE) == "Neither clearly"
    assert "-" not in difference_sentence(POSTERIOR, SINGLE, "death", 1.04, -0.4, 2.5)


def test_an_interval_too_small_to_show_reads_about_0_either_way():
    """Both ends round to 0.0 (a rare complication): not '(0.0 to 0.0 more)'."""
    assert interval_words("complication_visual_loss", 0.0, 0.0) == "about 0 either way"
    assert interval_words("complication_visual_loss", -0.01, 0.02) == "about 0 either way"
    assert interval_words("complication_visual_loss", -0.01, 0.3) == "0.0 fewer to 0.3 more"  # one end shows
    sentence = difference_sentence(POSTERIOR, SINGLE, "complication_visual_loss", 0.0, 0.0, 0.0)
    assert "0.0 to 0.0" not in sentence and sentence.endswith("(about 0 either way)")


def test_durations_are_converted_to_display_units():
    # 90 minutes shorter -> 1.5 h less
    mean = difference_value("operative_time_min", -90.0)
    assert mean == pytest.approx(-1.5)
    assert difference_words("operative_time_min", mean) == "1.5 h less operative time (skin to skin)"
    assert interval_words("operative_time_min", 2.0, 3.0) == "2.0 to 3.0 h more"
    assert interval_words("blood_loss_ml", -4768.0, -4164.0) == "4,164 to 4,768 mL less"
    assert better_plan("operative_time_min", 2.0, 3.0, POSTERIOR, SINGLE) == SINGLE
    assert difference_words("icu_days", 0.14) == "0.1 days more ICU stay"


def test_higher_is_better_flips_the_winner():
    # lowest haemoglobin 0.4 g/dL higher with plan A: A is better although the difference is positive
    assert difference_words("lowest_hb_g_dl", 0.4) == "0.4 g/dL higher lowest haemoglobin"
    assert better_plan("lowest_hb_g_dl", 0.2, 0.6, POSTERIOR, SINGLE) == "Posterior only"
    assert better_plan("blood_loss_ml", 200.0, 600.0, POSTERIOR, SINGLE) == SINGLE


def test_no_difference_and_shares():
    assert difference_words("death", 0.01) == "no clear difference in deaths"
    assert difference_words("los_days", -0.04) == "no clear difference in hospital stay"
    assert share_words(0.624) == "62 in 100" and share_words(0.001) == "under 1 in 100" and share_words(0.0) == "0 in 100"


def test_short_labels_only_where_they_stay_unique():
    labels = ["Posterior only (one stage)", "Single stage, three exposures", "Single stage, stop and stage if needed",
              "Two stages, posterior then anterior"]
    assert short_label(labels[0]) == "Posterior only"
    assert short_labels(labels) == {labels[0]: "Posterior only", labels[1]: labels[1], labels[2]: labels[2],
                                     labels[3]: "Two stages"}
